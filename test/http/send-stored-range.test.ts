/**
 * The chunked sender behind media downloads, on a real node:http server and real disk storage:
 * buffers come back after a download, a client that stops reading is cut off after the write
 * deadline (its handler returns), and a file deleted mid-download cuts the response.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sendStoredRange } from '../../src/http/routes/send-stored-range.ts';
import { createDiskStorage } from '../../src/media/disk-storage.ts';
import { createSliceBuffers } from '../../src/media/slice-buffers.ts';
import { tempDir } from '../support/temp-dir.ts';

const KEY = 'tasks/t/video.mp4';

type Setup = { url: string; content: Buffer; outcomes: Array<Promise<string>>; responses: ServerResponse[]; slices: ReturnType<typeof createSliceBuffers>; storage: ReturnType<typeof createDiskStorage> };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A file of `size` bytes on disk storage, sent whole by a server with the given write deadline. */
async function serve(writeTimeoutMs: number, size = 5 * 1024 * 1024 + 123): Promise<Setup> {
  const dir = tempDir('send-range-');
  const storage = createDiskStorage(dir.dir);
  const content = randomBytes(size);
  const source = path.join(dir.dir, 'source.mp4');
  writeFileSync(source, content);
  await storage.putFile(KEY, source);
  const slices = createSliceBuffers({ maxBytes: 16 * 1024 * 1024 });
  const outcomes: Array<Promise<string>> = [];
  const responses: ServerResponse[] = [];
  const server = http.createServer((_req: IncomingMessage, res: ServerResponse) => {
    responses.push(res);
    outcomes.push(
      sendStoredRange({
        read: (range, into) => storage.readSlice?.(KEY, range, into) ?? Promise.reject(new Error('no readSlice')),
        range: { start: 0, end: size - 1 },
        out: res,
        slices,
        begin: () => res.writeHead(200, { 'content-length': String(size) }),
        writeTimeoutMs,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  cleanups.push(() => dir.remove());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, content, outcomes, responses, slices, storage };
}

/** Downloads the body; `onFirstBytes` runs once the first bytes are in. Resolves with what came and whether it ended cleanly. */
function download(url: string, onFirstBytes?: () => Promise<void>): Promise<{ body: Buffer; complete: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const req = http.get(url, { agent: false }, (res) => {
      let first = true;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (first && onFirstBytes) {
          first = false;
          res.pause();
          void onFirstBytes().then(() => setTimeout(() => res.resume(), 50));
        }
      });
      res.on('end', () => resolve({ body: Buffer.concat(chunks), complete: res.complete }));
      res.on('error', () => resolve({ body: Buffer.concat(chunks), complete: false }));
      res.on('aborted', () => resolve({ body: Buffer.concat(chunks), complete: false }));
    });
    req.on('error', () => resolve({ body: Buffer.concat(chunks), complete: false }));
  });
}

describe('sendStoredRange', () => {
  it('sends the file whole and gives both of its buffers back', async () => {
    const s = await serve(60_000);
    const got = await download(s.url);
    expect(got.complete).toBe(true);
    expect(got.body.equals(s.content)).toBe(true);
    expect(await s.outcomes[0]).toBe('sent');
    // Two 1 MiB chunk buffers, and the 64 KiB one the last 123 bytes were read into.
    expect(s.slices.idleBytes()).toBe(2 * 1024 * 1024 + 64 * 1024);
  });

  it('cuts off a client that stops reading once a chunk has waited past the deadline', async () => {
    // Larger than what the kernel buffers on a loopback connection (send and receive side).
    const s = await serve(300, 48 * 1024 * 1024);
    const client = http.get(s.url, { agent: false }, (res) => {
      res.pause(); // never reads: the socket buffers fill and the writes wait
    });
    client.on('error', () => undefined);
    cleanups.push(() => void client.destroy());
    while (s.outcomes.length === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    expect(await s.outcomes[0]).toBe('sent');
    // A paused client does not read, so it cannot see its connection go: the server's side is checked.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(s.responses[0]?.destroyed).toBe(true);
    expect(s.responses[0]?.writableFinished).toBe(false);
  });

  it('cuts the response, not shortens it, when the file is deleted mid-download', async () => {
    const s = await serve(60_000);
    const got = await download(s.url, () => s.storage.delete(KEY));
    expect(got.complete).toBe(false);
    expect(got.body.length).toBeLessThan(s.content.length);
    expect(await s.outcomes[0]).toBe('sent');
  });
});
