/**
 * The simulator's public shapes. sim-server.ts re-exports them; tests, benchmarks and the CLI
 * code against these names.
 */

export type SimAccount = {
  accessKey: string;
  secretKey: string;
  /** Concurrent tasks (submitted|processing) allowed. */
  concurrency: number;
};

export type SimFaults = {
  /**
   * Per endpoint, per Kling error code (1000-1004, 1100-1103, 1200-1203, 1300-1304, 5000-5002) a
   * probability 0..1 of answering that error instead of doing the work.
   */
  createErrors?: Partial<Record<number, number>>;
  queryErrors?: Partial<Record<number, number>>;
  /** Added latency per request, ms (uniform in [min,max]). */
  latencyMs?: { min: number; max: number };
  /** Probability that a create is ACCEPTED (task exists, counts) but the HTTP response is dropped. */
  dropAfterAcceptRate?: number;
  /** Probability that any single callback POST is silently not sent. */
  lostCallbackRate?: number;
  /** Probability that a task ends `failed` instead of `succeed`. */
  taskFailureRate?: number;
  /** Lifetime of result URLs in seconds (default 30 days); a request after expiry gets 403. */
  urlTtlSeconds?: number;
};

export type KlingSimOptions = {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default [{accessKey:'sim-access-key', secretKey:'sim-secret-key', concurrency: 5}]. */
  accounts?: SimAccount[];
  /** Time a task stays `submitted`, then `processing`, in ms; default {1000, 5000}. */
  schedule?: { submittedMs: number; processingMs: number };
  faults?: SimFaults;
  /** Seeds the fault randomness (deterministic runs); default random. */
  seed?: number;
  /** Path of the ffmpeg binary. */
  ffmpeg: string;
  /** Where rendered MP4s are cached. */
  workDir: string;
  /** Public base URL used in result URLs (default: the bound http://host:port). */
  publicUrl?: string;
  /**
   * Keep each request's arrival time (ms epoch) by route label, served at GET /_sim/arrivals, so
   * a client can measure the rate the simulator saw exactly. Off by default: it grows with every
   * request.
   */
  recordArrivals?: boolean;
  log?: (line: string) => void;
};

export type SimTaskStatus = 'submitted' | 'processing' | 'succeed' | 'failed';
export type SimTaskKind = 'text2video' | 'image2video';

export type SimTask = {
  taskId: string;
  externalTaskId: string | null;
  accessKey: string;
  kind: SimTaskKind;
  status: SimTaskStatus;
  statusMsg: string;
  createdAt: number;
  updatedAt: number;
  /** ms epoch when it became succeed/failed. */
  finishedAt: number | null;
  callbackUrl: string | null;
  body: unknown;
  /** What the task costs at succeed (spec §1.12), e.g. "3" or "4.5". */
  units: string;
};

export type SimStats = {
  createsAccepted: number;
  /** Creates refused because the account's external_task_id was already used (0 for a correct client). */
  duplicateExternalIds: number;
  /** Per external_task_id, how many tasks were accepted with it (a correct client: every value 1). */
  acceptedPerExternalId: Record<string, number>;
  /** Highest number of simultaneously non-terminal tasks ever seen, per access key. */
  maxConcurrent: Record<string, number>;
  /** Real 1303s from the limit (not injected). */
  concurrencyRefusals: number;
  /** Injected error answers, by code. */
  injectedErrors: Record<string, number>;
  droppedResponses: number;
  /** Callback POSTs answered with a 2xx. */
  callbacksSent: number;
  /** Callback POSTs deliberately not sent (lostCallbackRate). */
  callbacksLost: number;
  /** Callback POSTs that failed: network error, 5 s timeout or a non-2xx answer. */
  callbacksFailed: number;
  /** By route label: create, query, list, result, stats, faults, unknown. */
  requests: Record<string, number>;
  /** ffmpeg renders started; identical (tier, aspect, duration, sound, watermark) tasks share one. */
  renders: number;
};

export type KlingSim = {
  url: string;
  stats(): SimStats;
  task(idOrExternal: string): SimTask | undefined;
  tasks(): SimTask[];
  /** Replaces the faults at run time. */
  setFaults(faults: SimFaults): void;
  close(): Promise<void>;
};
