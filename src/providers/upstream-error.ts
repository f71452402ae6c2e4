/**
 * Why an upstream call gave no usable answer. The class, not the code, decides what the engine
 * does, so every provider sorts its own wire codes into these five.
 */
export const UPSTREAM_ERROR_CLASSES = [
  /** Back-pressure (Kling 1302/1303, HTTP 429): the task waits and retries later; it does not fail. */
  'throttled',
  /**
   * The call may or may not have taken effect (Kling 5000-5002, HTTP 5xx, timeouts, resets): after
   * a submit the engine looks the task up by Reelay's id before it would ever submit again.
   */
  'ambiguous',
  /** The upstream refuses this request (Kling 1200-1203, 1300, 1301): the task fails with its message. */
  'rejected',
  /** This channel cannot work now (Kling 1000-1004 after one re-sign, 1100-1103, 1304): fail over. */
  'channel',
  /** A query or lookup found no such task upstream. */
  'not_found',
] as const;
export type UpstreamErrorClass = (typeof UPSTREAM_ERROR_CLASSES)[number];

export class UpstreamError extends Error {
  readonly errorClass: UpstreamErrorClass;
  /** The upstream's own code as text (`"1303"`, `"rate_limit_error"`), or a transport code (`"timeout"`). */
  readonly code: string;
  readonly httpStatus: number | null;
  /** From a Retry-After header or the upstream's advice, when it gave one. */
  readonly retryAfterMs: number | null;

  constructor(
    errorClass: UpstreamErrorClass,
    code: string,
    message: string,
    options: { httpStatus?: number | null; retryAfterMs?: number | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
    this.errorClass = errorClass;
    this.code = code;
    this.httpStatus = options.httpStatus ?? null;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

export function isUpstreamError(e: unknown): e is UpstreamError {
  return e instanceof UpstreamError;
}

/**
 * The class of a bare HTTP status when the body carried no code the provider knows. 408/425/5xx
 * are ambiguous (the request may have been processed), 429 throttled, 401/402/403 the channel's
 * credentials or balance, 404 not found, other 4xx a refusal of the request.
 */
export function classOfHttpStatus(status: number): UpstreamErrorClass {
  if (status === 429) return 'throttled';
  if (status === 408 || status === 425 || status >= 500) return 'ambiguous';
  if (status === 401 || status === 402 || status === 403) return 'channel';
  if (status === 404) return 'not_found';
  return 'rejected';
}
