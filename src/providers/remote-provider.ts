/**
 * An upstream that renders elsewhere: the official Kling API or a reseller. The engine drives it
 * (submit, then check until terminal); the provider only speaks the upstream's wire format and
 * throws UpstreamError, classed, for every answer that is not a result.
 */
import type { TaskKind } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';

/** What the engine hands a provider to submit. */
export type UpstreamSubmission = {
  /** Reelay's internal task id: sent as `external_task_id` (or the dialect's equivalent), so a lookup can find it. */
  reelayId: string;
  kind: TaskKind;
  request: VideoRequest;
  /** The channel's name for the model (its `models` mapping of request.model). */
  upstreamModel: string;
  /** Where the upstream should POST status changes; null sends none. */
  callbackUrl: string | null;
};

export type UpstreamTaskRef = { upstreamId: string; kind: TaskKind };

export type UpstreamVideo = {
  url: string;
  /** The watermarked copy's URL, when the upstream made one. */
  watermarkUrl: string | null;
  /** Seconds as the upstream reports them (Kling: a string such as "5.042"), when it does. */
  durationSeconds: number | null;
};

export type UpstreamState =
  /** `queued`: accepted, not yet rendering (Kling `submitted`); `running`: rendering. */
  | { state: 'pending'; phase: 'queued' | 'running'; progress: number | null }
  | { state: 'succeeded'; videos: UpstreamVideo[]; unitsCharged: number | null }
  | { state: 'failed'; message: string }
  /** Canceled upstream (resellers that have cancel); Reelay treats it as a failure with this message. */
  | { state: 'canceled'; message: string };

export type RemoteProvider = {
  kind: 'remote';
  /** The channel's name (unique in the config). */
  name: string;
  /** Which wire format: `kling`, `newapi`, `evolink`, `apimart`, `novita`. */
  protocol: string;
  /**
   * Why this upstream cannot express the request (Novita has no 4k tier, say), or null when it
   * can. Routing skips a channel that cannot, so the request may still go to another.
   */
  unsupported(request: VideoRequest, kind: TaskKind): string | null;
  /** Resolves to the upstream's task id. Throws UpstreamError. */
  submit(submission: UpstreamSubmission, signal: AbortSignal): Promise<{ upstreamId: string }>;
  /** The upstream's current view of an accepted task. Throws UpstreamError (`not_found` when it has none). */
  check(ref: UpstreamTaskRef, signal: AbortSignal): Promise<UpstreamState>;
  /**
   * The task's state as a callback body reports it, when the upstream's callbacks carry the same
   * facts as its status answer and name task `ref` (else null: the engine asks the upstream).
   * Absent: callbacks are only a hint to check now.
   */
  parseCallback?: ((body: string, ref: UpstreamTaskRef) => UpstreamState | null) | undefined;
  /**
   * Finds the upstream task submitted for Reelay task `reelayId` (by `external_task_id`), after a
   * submit whose outcome is unknown; null when the upstream has none. Absent when the upstream has
   * no such lookup: the engine then never resubmits after an ambiguous submit.
   */
  lookup?: ((ref: { reelayId: string; kind: TaskKind }, signal: AbortSignal) => Promise<{ upstreamId: string } | null>) | undefined;
};
