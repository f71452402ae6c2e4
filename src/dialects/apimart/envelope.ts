/**
 * APIMart's bodies. Success: `{"code":200,"data":...}` (spec §5). [I] The error body is not
 * documented anywhere we found; Reelay answers `{"code":<http status>,"error":{"message","type","param"}}`:
 * the same top-level `code` a client already checks for 200, and the OpenAI-style `error` object
 * that APIMart's OpenAI-compatible endpoints (and EvoLink's) use, with the same type words.
 */
import type { AppError } from '../../domain/errors.ts';
import { evolinkErrorType } from '../evolink/envelope.ts';

export type ApimartErrorBody = { code: number; error: { message: string; type: string; param?: string } };

export function apimartSuccess<T>(data: T): { code: 200; data: T } {
  return { code: 200, data };
}

export function apimartError(error: AppError): { status: number; body: ApimartErrorBody } {
  const param = error.code === 'task_not_found' ? 'task_id' : error.field;
  return {
    status: error.status,
    body: {
      code: error.status,
      error: { message: error.message, type: evolinkErrorType(error.status), ...(param === undefined ? {} : { param }) },
    },
  };
}
