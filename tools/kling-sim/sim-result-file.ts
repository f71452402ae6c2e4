/** Sends a rendered MP4: Content-Type video/mp4, Content-Length, and `Range` (players seek with it). */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';
import { sendText } from './sim-http.ts';

export async function sendVideoFile(req: IncomingMessage, res: ServerResponse, file: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    sendText(res, 404, 'video not found\n');
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes' };
  let range: { start: number; end: number } | undefined;
  const rangeHeader = req.headers.range;
  if (rangeHeader) {
    const parsed = parseRange(size, rangeHeader, { combine: true });
    if (parsed === -1) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    // Malformed or multi-range: the whole file, as RFC 9110 allows.
    if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1 && parsed[0]) range = parsed[0];
  }
  headers['content-length'] = String(range ? range.end - range.start + 1 : size);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file, range ?? {}), res).catch(() => {
    // The client went away mid-download; nothing to answer.
  });
}
