/** Reads a JSON body as `unknown`; malformed JSON and bodies over the limit are client errors. */
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../domain/errors.ts';

export const MAX_BODY_BYTES = 1024 * 1024; // 1 MiB, as the issue fixes for every create route

export async function readJsonBody(c: Context): Promise<unknown> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const raw = await c.req.arrayBuffer();
  if (raw.byteLength > MAX_BODY_BYTES) throw tooLarge();
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) as unknown;
  } catch {
    throw new AppError('invalid_json', 'request body must be valid JSON (UTF-8)');
  }
}

function tooLarge(): AppError {
  return new AppError('body_too_large', `request body must be at most ${MAX_BODY_BYTES} bytes (1 MiB)`);
}

/** Stops reading a body (declared or chunked) once it passes the limit; put it before the handler. */
export function limitBody() {
  return bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw tooLarge();
    },
  });
}
