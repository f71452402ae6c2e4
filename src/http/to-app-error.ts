/** Any thrown value -> an AppError -> the response in the caller's dialect. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { AppError, isAppError } from '../domain/errors.ts';
import type { AppEnv } from './app-env.ts';

/** Unexpected errors are logged and become a 500 that reveals nothing inside. */
export function toAppError(e: unknown, log: Logger, requestId: string): AppError {
  if (isAppError(e)) return e;
  log.error({ err: e, requestId }, 'unhandled error');
  return new AppError('internal_error', `internal error (request id ${requestId})`, { cause: e });
}

/** A dialect's error envelope for an AppError. */
export type RenderError = (error: AppError, requestId: string) => { status: number; body: object };

/** The one `onError` of every route group: only the envelope differs between dialects. */
export function errorResponse(c: Context<AppEnv>, log: Logger, e: unknown, render: RenderError): Response {
  const requestId = c.get('requestId');
  const error = toAppError(e, log, requestId);
  // The unread rest of an oversized body would poison a kept-alive connection.
  if (error.code === 'body_too_large') c.header('connection', 'close');
  if (error.retryAfterSeconds !== undefined) c.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  const { status, body } = render(error, requestId);
  return c.json(body, status as ContentfulStatusCode);
}
