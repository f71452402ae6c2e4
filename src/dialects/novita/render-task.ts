/**
 * A task in Novita's Get Task Result words (spec §4.2): `TASK_STATUS_*`, string ttl, UUID ids.
 * Novita's result has no cost field, so a billed task also carries `reelay_usage` at the top
 * level, Reelay's documented extension (src/dialects/shared/usage.ts).
 */
import type { Task, TaskStatus } from '../../domain/task.ts';
import { endedMessage } from '../shared/task-message.ts';
import { reelayUsageField, type ReelayUsage } from '../shared/usage.ts';

export type NovitaStatus =
  | 'TASK_STATUS_QUEUED'
  | 'TASK_STATUS_PROCESSING'
  | 'TASK_STATUS_SUCCEED'
  | 'TASK_STATUS_FAILED'
  | 'TASK_STATUS_CANCELED';

export type NovitaVideo = { video_url: string; video_url_ttl: string; video_type: 'mp4' };

export type NovitaTaskResult = {
  extra: {
    seed: string;
    debug_info: { request_info: string; submit_time_ms: string; execute_time_ms: string; complete_time_ms: string };
  };
  task: {
    task_id: string;
    task_type: string;
    status: NovitaStatus;
    reason: string;
    eta: number;
    progress_percent: number;
  };
  videos: NovitaVideo[];
  images: never[];
  audios: never[];
  /** Reelay's extension: the task's hold and settlement; absent for a task made before billing. */
  reelay_usage?: ReelayUsage;
};

const STATUS_WORDS: Record<TaskStatus, NovitaStatus> = {
  queued: 'TASK_STATUS_QUEUED',
  running: 'TASK_STATUS_PROCESSING',
  completed: 'TASK_STATUS_SUCCEED',
  failed: 'TASK_STATUS_FAILED',
  canceled: 'TASK_STATUS_CANCELED',
};

export type NovitaRenderOptions = {
  /** A storage key -> a signed, expiring link. */
  mediaUrl: (key: string) => string;
  /** How long a link minted now stays valid, in seconds. */
  mediaTtlSeconds: number;
  now?: number;
};

/** [I] Novita's task_type names the model path the task was created through. */
export function novitaTaskType(task: Task): string {
  return `kling-v3.0-${task.request.tier}-t2v`;
}

/**
 * [I] `eta` is whole seconds still to wait: the time spent so far stretched over the progress
 * left. Before there is any progress to go by it is 0, as in Novita's example, meaning unknown.
 */
function etaSeconds(task: Task, now: number): number {
  if (task.status !== 'running' || task.startedAt === null || task.progress <= 0 || task.progress >= 100) return 0;
  const elapsedMs = Math.max(0, now - task.startedAt);
  return Math.ceil((elapsedMs * (100 - task.progress)) / task.progress / 1000);
}

const msString = (ms: number | null): string => (ms === null ? '' : String(ms));

export function renderNovitaTask(task: Task, options: NovitaRenderOptions): NovitaTaskResult {
  const completed = task.status === 'completed' && task.result !== null;
  return {
    extra: {
      seed: '',
      // Novita reports these as strings of epoch milliseconds (spec §6.3).
      debug_info: {
        request_info: '',
        submit_time_ms: msString(task.createdAt),
        execute_time_ms: msString(task.startedAt),
        complete_time_ms: msString(task.finishedAt),
      },
    },
    task: {
      task_id: task.publicId,
      task_type: novitaTaskType(task),
      status: STATUS_WORDS[task.status],
      reason: endedMessage(task),
      eta: etaSeconds(task, options.now ?? Date.now()),
      progress_percent: task.status === 'completed' ? 100 : task.progress,
    },
    videos: completed
      ? (task.result?.videos ?? []).map((v) => ({
          video_url: options.mediaUrl(v.key),
          // A string in Novita's schema, unlike images' integer `image_url_ttl` (spec §4.2).
          video_url_ttl: String(options.mediaTtlSeconds),
          video_type: 'mp4' as const,
        }))
      : [],
    images: [],
    audios: [],
    ...reelayUsageField(task),
  };
}
