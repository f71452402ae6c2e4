import type { VideoRequest } from './video-request.ts';

/** The one status vocabulary inside Reelay; each dialect renders it in its own words. */
export const TASK_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'canceled'];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Which Kling product a task was created through (it decides the list and query routes). */
export const TASK_KINDS = ['text2video', 'image2video'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** One finished video kept in Reelay's storage. */
export type TaskVideo = {
  /** Stable id of this output inside the task (Kling `videos[].id`). */
  id: string;
  /** Storage key of the clean file. */
  key: string;
  /** Storage key of the watermarked copy, when one was asked for. */
  watermarkKey?: string | undefined;
  /** Seconds, as measured by ffprobe on the stored file. */
  duration: number;
};

export type TaskResult = { videos: TaskVideo[] };

/**
 * A task's money, in micro-credits (src/billing/credits.ts): the hold taken at create, then at
 * the end what was captured and what was released (together exactly the hold).
 */
export type TaskBilling = {
  holdMicros: number;
  /** null until the task ends. */
  chargedMicros: number | null;
  releasedMicros: number | null;
  /** Seconds billed at completion (the delivered duration, at most the requested one); null otherwise. */
  billedSeconds: number | null;
};

/** Why a task failed; each dialect renders these in its own words. */
export const TASK_FAILURE_CODES = [
  'render_failed',
  'storage_failed',
  'worker_lost',
  'provider_unavailable',
  /** The upstream rendered and failed the task (its message says why). */
  'upstream_failed',
  /** The upstream refused the request (its message names the rule). */
  'upstream_rejected',
  'invalid_parameter',
  'content_policy',
  /** No channel could take the task (credentials, account, all channels down). */
  'upstream_unavailable',
  /** The upstream did not finish within the channel's task timeout. */
  'upstream_timeout',
  /** A submit's outcome stayed unknown and the upstream offers no lookup: not resent, so never paid twice. */
  'upstream_unknown',
  /** The finished video could not be copied from the upstream into Reelay's storage. */
  'mirror_failed',
] as const;
export type TaskFailureCode = (typeof TASK_FAILURE_CODES)[number];

/** `code` is a TaskFailureCode when Reelay wrote it; read back from storage it is any string. */
export type TaskFailure = { code: string; message: string };

export type Task = {
  id: string;
  publicId: string;
  keyId: string;
  dialect: string;
  kind: TaskKind;
  request: VideoRequest;
  status: TaskStatus;
  progress: number;
  provider: string;
  upstreamId: string | null;
  attempts: number;
  result: TaskResult | null;
  failure: TaskFailure | null;
  /** Units the upstream reported charging Reelay (its Kling `final_unit_deduction`), when known. */
  unitsCharged: number | null;
  /** What the client is billed; null for tasks made before billing existed. */
  billing: TaskBilling | null;
  /** Remote tasks: when the submit to the channel in `provider` began (its outcome may be unknown); else null. */
  submitStartedAt: number | null;
  /** Remote tasks: status checks so far. */
  checks: number;
  /** Remote tasks: failed attempts at copying the finished video. */
  mirrorFailures: number;
  /** Remote tasks: upstream callbacks received so far. */
  nudges: number;
  /** When the client asked to cancel the task while it could not be canceled at once (it ends canceled instead of completed). */
  cancelRequestedAt: number | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
};
