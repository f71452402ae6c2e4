/** The official Kling envelope `{code, message, request_id, data}` and its error table (spec §1.8). */
import type { AppError, ErrorCode } from '../../domain/errors.ts';

/** Kling's numeric service code for each Reelay error code. */
export const KLING_CODES: Record<ErrorCode, number> = {
  auth_missing: 1001,
  auth_invalid: 1002,
  auth_not_yet_valid: 1003,
  auth_expired: 1004,
  forbidden: 1103,
  invalid_json: 1200,
  body_too_large: 1200,
  invalid_parameter: 1201,
  duplicate_external_task_id: 1201,
  // Kling has no 409 and no code for a reused key; 1201 is its "bad key or value, see message"
  // code, which clients already treat as "fix the request, do not retry it as is". HTTP stays 409.
  idempotency_conflict: 1201,
  // Kling has no cancel at all (spec §1.6); the message says the task is already over. HTTP stays 409.
  task_already_ended: 1201,
  budget_exhausted: 1102,
  rate_limited: 1302,
  concurrency_limited: 1303,
  model_not_allowed: 1103,
  route_not_found: 1202,
  model_not_found: 1203,
  task_not_found: 1203,
  key_not_found: 1203,
  delivery_not_found: 1203,
  internal_error: 5000,
  render_failed: 5000,
  storage_failed: 5000,
  upstream_failed: 5000,
};

export type KlingEnvelope<T> = { code: number; message: string; request_id: string; data: T; task_id?: string };

export function klingSuccess<T>(data: T, requestId: string): KlingEnvelope<T> {
  return { code: 0, message: 'SUCCEED', request_id: requestId, data };
}

/** Where Kling's HTTP status differs from Reelay's: an exhausted resource pack is a 429 (§1.8), not a 402. */
const KLING_STATUSES: Partial<Record<ErrorCode, number>> = { budget_exhausted: 429 };

export function klingError(error: AppError, requestId: string): { status: number; body: { code: number; message: string; request_id: string } } {
  return { status: KLING_STATUSES[error.code] ?? error.status, body: { code: KLING_CODES[error.code], message: error.message, request_id: requestId } };
}
