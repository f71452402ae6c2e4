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
  // The unread rest of an oversized body would poison a kept-alive connection. So would a large
  // body refused before it was read (a bad key, an unknown model in the path): @hono/node-server
  // drains an unread body only briefly (500 ms at most) and may drop the socket without a word,
  // and the client's next request on that connection then fails with "other side closed" (seen
  // in test/chaos/generated-bodies.test.ts with a 1 MB body to an unknown model's path).
  if (error.code === 'body_too_large' || unreadLargeBody(c)) c.header('connection', 'close');
  if (error.retryAfterSeconds !== undefined) c.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  const { status, body } = render(error, requestId);
  return c.json(body, status as ContentfulStatusCode);
}

/** Bodies up to this size are drained at once; a larger unread one may not be in time. */
const DRAINED_BODY_BYTES = 64 * 1024;

/** The request came with a large (or unknown-length) body that no handler read. */
function unreadLargeBody(c: Context<AppEnv>): boolean {
  if (c.req.raw.bodyUsed) return false;
  const length = Number(c.req.header('content-length') ?? 0);
  return length > DRAINED_BODY_BYTES || /chunked/i.test(c.req.header('transfer-encoding') ?? '');
}
