/**
 * EvoLink's HTTP error body (spec §2.3): `{"error":{"code":<http status>,"message","type","param"}}`,
 * with EvoLink's type word for each status. The status itself comes from the error catalog.
 */
import type { AppError } from '../../domain/errors.ts';

export type EvolinkErrorBody = { error: { code: number; message: string; type: string; param?: string } };

const TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota_error',
  403: 'permission_error',
  404: 'not_found_error',
  // EvoLink documents no 409 (a reused Idempotency-Key is Reelay's); the request is what is wrong.
  409: 'invalid_request_error',
  413: 'request_too_large_error',
  429: 'rate_limit_error',
  500: 'internal_server_error',
  502: 'upstream_error',
  503: 'service_unavailable_error',
};

/** EvoLink's own words for a missing task (spec §2.3), whatever Reelay's message said. */
const TASK_NOT_FOUND = 'Task not found or expired';

export function evolinkErrorType(status: number): string {
  return TYPES[status] ?? (status >= 500 ? 'internal_server_error' : 'invalid_request_error');
}

export function evolinkError(error: AppError): { status: number; body: EvolinkErrorBody } {
  const notFound = error.code === 'task_not_found';
  const param = notFound ? 'task_id' : error.field;
  return {
    status: error.status,
    body: {
      error: {
        code: error.status,
        message: notFound ? TASK_NOT_FOUND : error.message,
        type: evolinkErrorType(error.status),
        ...(param === undefined ? {} : { param }),
      },
    },
  };
}
