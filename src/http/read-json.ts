/** Reads a JSON body as `unknown`; malformed JSON and bodies over the limit are client errors. */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../domain/errors.ts';

/** 1 MiB, as issue 2 fixes for the create routes. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Image-to-video bodies may carry two raw base64 images of up to 10 MB each (Kling §1.10):
 * 2 x 10 MiB x 4/3 is 26.7 MiB, plus the rest of the body.
 */
export const IMAGE_BODY_BYTES = 28 * 1024 * 1024;

/** Parses the body already bounded by `limitBody` (every JSON route puts it first). */
export async function readJsonBody(c: Context): Promise<unknown> {
  const raw = await c.req.arrayBuffer();
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) as unknown;
  } catch {
    throw new AppError('invalid_json', 'request body must be valid JSON (UTF-8)');
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('body_too_large', `request body must be at most ${maxBytes} bytes (${maxBytes / 1024 / 1024} MiB)`);
}

/**
 * Stops reading a body (declared or chunked) once it passes the limit; put it before the handler.
 *
 * A body with a Content-Length (and no Transfer-Encoding) is judged by its header alone, as Hono's
 * bodyLimit judges it too: Node's HTTP parser never delivers more bytes than it declares. What
 * differs is that this never touches the request's `body`: bodyLimit asks for it first, and on
 * @hono/node-server that builds a full web Request with a ReadableStream for every POST (a tenth
 * of a durable create's CPU, profiled with bench/create.ts, plus the garbage it leaves); without
 * it, the handler's `arrayBuffer()` reads the Node stream directly. Chunked bodies, which only
 * counting can bound, still go through bodyLimit.
 */
export function limitBody(maxBytes: number = MAX_BODY_BYTES): MiddlewareHandler {
  const counting = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes);
    },
  });
  return async (c, next) => {
    const declared = c.req.header('content-length')?.trim();
    // Only a plain decimal length is taken at its word (Node's parser refuses the rest before us;
    // another adapter might not), and only without Transfer-Encoding.
    if (declared === undefined || !/^\d+$/.test(declared) || c.req.header('transfer-encoding') !== undefined) return counting(c, next);
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
    await next();
  };
}
