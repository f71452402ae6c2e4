/**
 * One error catalog with stable string codes and their HTTP status. Each dialect maps a code to
 * its own envelope; nothing else decides a status.
 */
export const ERROR_CATALOG = {
  auth_missing: 401,
  auth_invalid: 401,
  auth_not_yet_valid: 401,
  auth_expired: 401,
  forbidden: 403,
  invalid_json: 400,
  body_too_large: 400,
  invalid_parameter: 400,
  duplicate_external_task_id: 400,
  /** An Idempotency-Key reused with another body or on another create route (within its 24 h). */
  idempotency_conflict: 409,
  /** A cancel of a task that is already completed, failed or canceled. */
  task_already_ended: 409,
  /** The key's budget cannot cover the task's hold (Kling 1102; its HTTP status is Kling's 429 there). */
  budget_exhausted: 402,
  /** The key's requests-per-minute limit on creates (Kling 1302). */
  rate_limited: 429,
  /** The key's maximum of tasks in flight (Kling 1303). */
  concurrency_limited: 429,
  /** The key may not use the model it asked for (Kling 1103). */
  model_not_allowed: 403,
  route_not_found: 404,
  model_not_found: 404,
  task_not_found: 404,
  key_not_found: 404,
  delivery_not_found: 404,
  internal_error: 500,
  // Task failures (never an HTTP answer to the create; they end a task).
  render_failed: 500,
  storage_failed: 500,
  upstream_failed: 502,
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** An error a client may see: a stable code, a message naming the field and the rule. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  /** Seconds after which the same request may succeed (sent as `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOG[code];
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
