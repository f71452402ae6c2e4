/** Bare node:http plumbing: the Kling envelope, error answers, reading a JSON body. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KlingSimError } from './sim-errors.ts';

// A 10 MB image as base64 is ~13.4 MB, and image2video carries two of them.
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Success: `{code: 0, message: "SUCCEED", request_id, data}` (spec §1.4). */
export function sendKlingData(res: ServerResponse, data: unknown): void {
  sendJson(res, 200, { code: 0, message: 'SUCCEED', request_id: randomUUID(), data });
}

/** Errors carry no `data` (spec §1.8: `{code, message, request_id}`). */
export function sendKlingError(res: ServerResponse, error: KlingSimError): void {
  sendJson(res, error.status, { code: error.code, message: error.message, request_id: randomUUID() });
}

/** Reads the body as JSON; an unreadable, oversized or malformed body is a 1200. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new KlingSimError(1200, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new KlingSimError(1200, text.trim() === '' ? 'request body is empty; expected a JSON object' : 'request body is not valid JSON');
  }
}
