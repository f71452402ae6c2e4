/**
 * A task as EvoLink's `video.generation.task` object (spec §2.1 create, §2.2 query): unix-second
 * times, EvoLink's status words and its string task error codes, and `usage` with the credits the
 * task reserved (a number), as EvoLink reserves at create (spec §7 note 9).
 */
import { isTerminal, type Task, type TaskStatus, type TaskVideo } from '../../domain/task.ts';
import { creditsReserved } from '../shared/usage.ts';
import { estimatedSeconds } from './estimated-time.ts';
import { evolinkModelName } from './models.ts';

export type EvolinkStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export type EvolinkTask = {
  created: number;
  id: string;
  model: string;
  object: 'video.generation.task';
  progress: number;
  status: EvolinkStatus;
  results?: string[];
  error?: { code: string; message: string };
  task_info: { can_cancel: boolean; estimated_time?: number; video_duration?: number };
  type: 'video';
  usage?: { billing_rule: 'per_second'; credits_reserved: number; user_group: string };
};

const STATUS_WORDS: Record<TaskStatus, EvolinkStatus> = {
  queued: 'pending',
  running: 'processing',
  completed: 'completed',
  failed: 'failed',
  canceled: 'cancelled',
};

/**
 * Reelay's failure codes -> EvoLink's task error codes (spec §2.2). A render that produced no
 * video is EvoLink's `generation_failed_no_content`; a file Reelay could not store is its own
 * fault, `service_error`, as is a task the workers lost; no configured upstream is
 * `service_unavailable`. Anything new falls to `unknown_error` until it is mapped here.
 */
const FAILURE_CODES: Readonly<Record<string, string>> = {
  render_failed: 'generation_failed_no_content',
  storage_failed: 'service_error',
  worker_lost: 'service_error',
  provider_unavailable: 'service_unavailable',
  upstream_failed: 'service_error',
  upstream_timeout: 'generation_timeout',
  invalid_parameter: 'invalid_parameters',
  content_policy: 'content_policy_violation',
  quota_exceeded: 'quota_exceeded',
};

export function evolinkFailureCode(code: string): string {
  return Object.hasOwn(FAILURE_CODES, code) ? (FAILURE_CODES[code] as string) : 'unknown_error';
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function base(task: Task): EvolinkTask {
  return {
    created: seconds(task.createdAt),
    id: task.publicId,
    model: evolinkModelName(task.request.model),
    object: 'video.generation.task',
    progress: Math.round(task.progress),
    status: STATUS_WORDS[task.status],
    // Cancelable while active and not asked already (a running task then ends cancelled; see
    // src/engine/cancel-task.ts), as EvoLink's processing example says `can_cancel: true`.
    task_info: { can_cancel: !isTerminal(task.status) && task.cancelRequestedAt === null },
    type: 'video',
  };
}

/** The create answer: the task as queued, its estimate, and what it reserved. */
export function renderEvolinkCreated(task: Task): EvolinkTask {
  const body = base(task);
  body.task_info = { ...body.task_info, estimated_time: estimatedSeconds(task), video_duration: task.request.duration };
  body.usage = usageOf(task);
  return body;
}

/** Reelay has one user group; a task from before billing reserved nothing, and 0 says so. */
function usageOf(task: Task): NonNullable<EvolinkTask['usage']> {
  return { billing_rule: 'per_second', credits_reserved: creditsReserved(task), user_group: 'default' };
}

/**
 * The query answer (and the callback body); `mediaUrl` turns a storage key into a signed link.
 * `usage` is there when the task was held; EvoLink's query examples omit it, and a task from
 * before billing still does.
 */
export function renderEvolinkTask(task: Task, mediaUrl: (key: string) => string): EvolinkTask {
  const body = base(task);
  if (task.status === 'completed' && task.result) {
    body.results = task.result.videos.map((v) => mediaUrl(deliveredKey(task, v)));
  }
  if (task.status === 'failed') {
    body.error = { code: evolinkFailureCode(task.failure?.code ?? ''), message: task.failure?.message ?? 'the task failed' };
  }
  if (task.status === 'canceled') body.error = { code: 'request_cancelled', message: 'the task was cancelled' };
  if (task.billing !== null) body.usage = usageOf(task);
  return body;
}

/** A client that asked for a watermark gets the watermarked copy. */
function deliveredKey(task: Task, video: TaskVideo): string {
  return task.request.watermark && video.watermarkKey ? video.watermarkKey : video.key;
}
