/**
 * OpenAI's error body `{"error":{"message","type","param","code"}}` with OpenAI's usual statuses
 * (400, 401, 404, 429, 500). OpenAI SDKs pick the exception class from the status and show
 * `message`; `param` names the field the client sent.
 */
import type { AppError, ErrorCode } from '../../domain/errors.ts';

export type OpenAiErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

type OpenAiErrorKind = { type: 'invalid_request_error' | 'server_error' | 'insufficient_quota' | 'requests'; code: string | null; status?: number };

const invalid = (code: string | null): OpenAiErrorKind => ({ type: 'invalid_request_error', code });
const server: OpenAiErrorKind = { type: 'server_error', code: null };

/** OpenAI's error type and code for each Reelay error code (OpenAI's own codes where it has one). */
export const OPENAI_ERRORS: Record<ErrorCode, OpenAiErrorKind> = {
  auth_missing: invalid('invalid_api_key'),
  auth_invalid: invalid('invalid_api_key'),
  auth_not_yet_valid: invalid('invalid_api_key'),
  auth_expired: invalid('invalid_api_key'),
  forbidden: invalid('forbidden'),
  invalid_json: invalid('invalid_json'),
  body_too_large: invalid('body_too_large'),
  invalid_parameter: invalid('invalid_value'),
  duplicate_external_task_id: invalid('invalid_value'),
  // OpenAI SDKs raise ConflictError for a 409 whatever the code; the code says which conflict.
  idempotency_conflict: invalid('idempotency_conflict'),
  task_already_ended: invalid('task_already_ended'),
  // OpenAI's own answers: an exhausted quota is a 429 of type insufficient_quota (its SDKs raise
  // RateLimitError for both; the type tells them apart), a rate limit a 429 of type requests.
  budget_exhausted: { type: 'insufficient_quota', code: 'insufficient_quota', status: 429 },
  rate_limited: { type: 'requests', code: 'rate_limit_exceeded' },
  concurrency_limited: { type: 'requests', code: 'concurrency_limit_exceeded' },
  model_not_allowed: invalid('model_not_allowed'),
  route_not_found: invalid('unknown_url'),
  model_not_found: invalid('model_not_found'),
  task_not_found: invalid('not_found'),
  key_not_found: invalid('not_found'),
  delivery_not_found: invalid('not_found'),
  internal_error: server,
  render_failed: server,
  storage_failed: server,
  upstream_failed: server,
};

export function openAiError(error: AppError): { status: number; body: OpenAiErrorBody } {
  const { type, code, status } = OPENAI_ERRORS[error.code];
  return { status: status ?? error.status, body: { error: { message: error.message, type, param: error.field ?? null, code } } };
}
