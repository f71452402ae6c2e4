/**
 * The `Idempotency-Key` header of the create routes: read and checked here, with a hash of the
 * exact body bytes; createTask decides between a new task, a replay and a conflict.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../domain/errors.ts';
import type { CreatedTask, TaskIdempotency } from '../engine/create-task.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** 1-255 printable ASCII characters (space to `~`), as Stripe-style keys and the OpenAI SDKs' retry keys are. */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The request's idempotency for createTask, or undefined without the header. Put it after
 * `limitBody`: it reads the whole body, which Hono keeps, so the parser later reads the very bytes
 * hashed here (JSON, multipart and urlencoded alike).
 */
export async function readIdempotency(c: Context): Promise<TaskIdempotency | undefined> {
  const key = c.req.header(IDEMPOTENCY_HEADER);
  if (key === undefined) return undefined;
  if (!VALID_KEY.test(key)) {
    throw new AppError(
      'invalid_parameter',
      `${IDEMPOTENCY_HEADER} header must be 1-255 printable ASCII characters (space to ~); got ${key.length} characters${key.length > 0 && key.length <= 255 ? ' with one outside that range' : ''}`,
      { field: IDEMPOTENCY_HEADER },
    );
  }
  const body = Buffer.from(await c.req.arrayBuffer());
  return { key, route: c.req.path, bodyHash: bodyHash(body, c.req.header('content-type') ?? '') };
}

/** RFC 2046: 1-70 characters, quoted or not. */
const BOUNDARY = /^\s*multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i;
const DELIMITER_TOKEN = Buffer.from('--\u0000boundary\u0000', 'latin1');

/**
 * sha256 (hex) of the body bytes as sent. One exception: a multipart boundary is chosen anew each
 * time a client serializes the same form (undici's FormData and httpx pick a random one per
 * request), so a retry that re-serializes its form would never match; each delimiter is hashed as
 * one fixed token, every other byte (part headers, values, files, order) as sent.
 */
function bodyHash(body: Buffer, contentType: string): string {
  const hash = createHash('sha256');
  const match = BOUNDARY.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) return hash.update(body).digest('hex');
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let from = 0;
  for (let at = body.indexOf(delimiter); at !== -1; at = body.indexOf(delimiter, from)) {
    hash.update(body.subarray(from, at)).update(DELIMITER_TOKEN);
    from = at + delimiter.length;
  }
  return hash.update(body.subarray(from)).digest('hex');
}

/** The create's answer: the status the first request got, and `Idempotent-Replayed: true` on a replay. */
export function createdResponse(c: Context, created: CreatedTask, body: object): Response {
  if (created.replayed) c.header('idempotent-replayed', 'true');
  return c.json(body, created.statusCode as ContentfulStatusCode);
}
