/**
 * A task in APIMart's words (spec §5.1 create, §5.2 query): unix-second times, `result.videos[]`
 * with `url` as an array of links (the shape of APIMart's documented image result, §7.8). The
 * query's `data` of a billed task also carries `reelay_usage`, Reelay's documented extension
 * (src/dialects/shared/usage.ts): APIMart documents no cost field. The create answer stays the
 * documented `[{status, task_id}]`.
 */
import type { Task, TaskStatus } from '../../domain/task.ts';
import { estimatedSeconds } from '../evolink/estimated-time.ts';
import { reelayUsageField, type ReelayUsage } from '../shared/usage.ts';
import { apimartSuccess } from './envelope.ts';

export type ApimartStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export type ApimartTask = {
  id: string;
  status: ApimartStatus;
  progress: number;
  result?: { videos: Array<{ url: string[]; expires_at: number }> };
  created: number;
  completed?: number;
  estimated_time: number;
  actual_time?: number;
  error?: { message: string; code?: string };
  /** Reelay's extension: the task's hold and settlement; absent for a task made before billing. */
  reelay_usage?: ReelayUsage;
};

/** A queued task reads `pending` on query; only the create answer says `submitted` (spec §6.1). */
const STATUS_WORDS: Record<TaskStatus, ApimartStatus> = {
  queued: 'pending',
  running: 'processing',
  completed: 'completed',
  failed: 'failed',
  canceled: 'cancelled',
};

const seconds = (ms: number) => Math.floor(ms / 1000);

export function renderApimartCreated(task: Task) {
  return apimartSuccess([{ status: 'submitted' as const, task_id: task.publicId }]);
}

export type MediaLinks = { url: (key: string) => string; ttlSeconds: number };

/** The query answer; `now` (ms) dates the links' `expires_at`, never later than the links' own expiry. */
export function renderApimartTask(task: Task, links: MediaLinks, now: number = Date.now()) {
  const data: ApimartTask = {
    id: task.publicId,
    status: STATUS_WORDS[task.status],
    progress: Math.round(task.progress),
    created: seconds(task.createdAt),
    estimated_time: estimatedSeconds(task),
  };
  if (task.status === 'completed' && task.result) {
    const expiresAt = seconds(now) + links.ttlSeconds;
    data.result = {
      videos: task.result.videos.map((v) => ({
        // A client that asked for a watermark gets the watermarked copy.
        url: [links.url(task.request.watermark && v.watermarkKey ? v.watermarkKey : v.key)],
        expires_at: expiresAt,
      })),
    };
    const finished = task.finishedAt ?? task.updatedAt;
    data.completed = seconds(finished);
    // APIMart's example: actual_time = completed - created (1763088308 - 1763088289 = 19).
    data.actual_time = seconds(finished) - seconds(task.createdAt);
  }
  if (task.status === 'failed') {
    // [I] `code` is optional in APIMart's error; Reelay's stable failure code is the useful one.
    data.error = { message: task.failure?.message ?? 'the task failed', ...(task.failure ? { code: task.failure.code } : {}) };
  }
  return apimartSuccess({ ...data, ...reelayUsageField(task) });
}
