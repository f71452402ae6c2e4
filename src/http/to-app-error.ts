/** Any thrown value -> an AppError; unexpected ones are logged and become a 500 revealing nothing. */
import type { Logger } from 'pino';
import { AppError, isAppError } from '../domain/errors.ts';

export function toAppError(e: unknown, log: Logger, requestId: string): AppError {
  if (isAppError(e)) return e;
  log.error({ err: e, requestId }, 'unhandled error');
  return new AppError('internal_error', `internal error (request id ${requestId})`, { cause: e });
}
