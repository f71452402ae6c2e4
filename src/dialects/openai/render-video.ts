/**
 * A task as OpenAI's `video` object (prior-art §4.4): status queued | in_progress | completed |
 * failed, unix-second times, `seconds` and `size` as strings, `error` {code, message} or null.
 * OpenAI's object has no place for cost, so a billed task also carries `reelay_usage`, Reelay's
 * documented extension (src/dialects/shared/usage.ts); SDKs keep unknown fields and ignore them.
 */
import type { Task, TaskStatus } from '../../domain/task.ts';
import { reelayUsageField, type ReelayUsage } from '../shared/usage.ts';
import { sizeOf } from './sizes.ts';

export type OpenAiVideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

export type OpenAiVideo = {
  id: string;
  object: 'video';
  model: string;
  status: OpenAiVideoStatus;
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  seconds: string;
  size: string;
  remixed_from_video_id: null;
  error: { code: string; message: string } | null;
  /** Reelay's extension: the task's hold and settlement; absent for a task made before billing. */
  reelay_usage?: ReelayUsage;
};

export type OpenAiVideoList = { object: 'list'; data: OpenAiVideo[]; first_id: string | null; last_id: string | null; has_more: boolean };

export type OpenAiVideoDeleted = { id: string; object: 'video.deleted'; deleted: true };

/** [I] OpenAI has no canceled status and its SDK poller knows only these four: canceled reads failed. */
const STATUS_WORDS: Record<TaskStatus, OpenAiVideoStatus> = {
  queued: 'queued',
  running: 'in_progress',
  completed: 'completed',
  failed: 'failed',
  canceled: 'failed',
};

export type OpenAiRenderOptions = {
  /** How long a media link minted now stays valid, in seconds. */
  mediaTtlSeconds: number;
  now?: number;
};

const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

function errorOf(task: Task): OpenAiVideo['error'] {
  if (task.status === 'failed') return { code: task.failure?.code ?? 'failed', message: task.failure?.message ?? 'the video failed' };
  if (task.status === 'canceled') return { code: 'canceled', message: 'the video was canceled' };
  return null;
}

export function renderOpenAiVideo(task: Task, options: OpenAiRenderOptions): OpenAiVideo {
  const finished = task.status === 'completed' || task.status === 'failed' || task.status === 'canceled';
  const now = options.now ?? Date.now();
  return {
    id: task.publicId,
    object: 'video',
    model: task.request.model,
    status: STATUS_WORDS[task.status],
    progress: task.status === 'completed' ? 100 : task.progress,
    created_at: unixSeconds(task.createdAt),
    // OpenAI sets it when the job finished, failed ones included.
    completed_at: finished && task.finishedAt !== null ? unixSeconds(task.finishedAt) : null,
    // [I] When a media link minted now stops working; each GET mints anew, so it moves on. The
    // /content route itself serves the stored file until the video is deleted.
    expires_at: task.status === 'completed' ? unixSeconds(now) + options.mediaTtlSeconds : null,
    seconds: String(task.request.duration),
    size: sizeOf(task.request.tier, task.request.aspectRatio),
    remixed_from_video_id: null,
    error: errorOf(task),
    ...reelayUsageField(task),
  };
}

export function renderOpenAiVideoList(tasks: Task[], hasMore: boolean, options: OpenAiRenderOptions): OpenAiVideoList {
  const data = tasks.map((t) => renderOpenAiVideo(t, options));
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

export function renderOpenAiDeleted(id: string): OpenAiVideoDeleted {
  return { id, object: 'video.deleted', deleted: true };
}
