/**
 * Novita's error body `{code, reason, message, metadata}` (spec §4.3): `code` repeats the HTTP
 * status, `reason` is an UPPER_SNAKE word. Successes carry no envelope at all.
 */
import type { AppError, ErrorCode } from '../../domain/errors.ts';

export type NovitaErrorBody = { code: number; reason: string; message: string; metadata: Record<string, never> };

/** Novita's reason word for each Reelay error code. */
export const NOVITA_REASONS: Record<ErrorCode, string> = {
  auth_missing: 'UNAUTHORIZED',
  auth_invalid: 'UNAUTHORIZED',
  auth_not_yet_valid: 'UNAUTHORIZED',
  auth_expired: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  invalid_json: 'INVALID_REQUEST_BODY',
  body_too_large: 'INVALID_REQUEST_BODY',
  invalid_parameter: 'INVALID_REQUEST_BODY',
  duplicate_external_task_id: 'INVALID_REQUEST_BODY',
  // Novita documents no 409 and no word for it; its reasons are free UPPER_SNAKE words and
  // clients branch on the status, so the word names the case rather than borrowing one.
  idempotency_conflict: 'IDEMPOTENCY_CONFLICT',
  task_already_ended: 'TASK_ALREADY_ENDED',
  // [I] Novita's docs name the statuses (403 permission, 429 rate limit) but not these words.
  budget_exhausted: 'NOT_ENOUGH_BALANCE',
  rate_limited: 'RATE_LIMIT_EXCEEDED',
  concurrency_limited: 'CONCURRENCY_LIMIT_EXCEEDED',
  model_not_allowed: 'MODEL_ACCESS_DENIED',
  route_not_found: 'NOT_FOUND',
  model_not_found: 'NOT_FOUND',
  task_not_found: 'NOT_FOUND',
  key_not_found: 'NOT_FOUND',
  delivery_not_found: 'NOT_FOUND',
  internal_error: 'INTERNAL_ERROR',
  render_failed: 'INTERNAL_ERROR',
  storage_failed: 'INTERNAL_ERROR',
  upstream_failed: 'INTERNAL_ERROR',
};

export function novitaError(error: AppError): { status: number; body: NovitaErrorBody } {
  return { status: error.status, body: { code: error.status, reason: NOVITA_REASONS[error.code], message: error.message, metadata: {} } };
}
