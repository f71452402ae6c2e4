/**
 * Range answers from disk storage are read into buffers the media route reuses (slice-buffers.ts).
 * A buffer handed out again before its response was sent would put another request's bytes on
 * the wire: many concurrent ranges, read slowly or abandoned half way, must each get their own.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkSigner } from '../../src/media/signed-links.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const KEY = 'tests/range/video.mp4';
const SIZE = 12 * 1024 * 1024;

type Answer = { status: number; contentRange: string | undefined; body: Buffer };

/** A GET with `range`, its body read after `pauseMs` (so the server's writes wait on the socket). */
function getRange(url: URL, range: string, pauseMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { range }, agent: false }, (res) => {
      res.pause();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentRange: res.headers['content-range'], body: Buffer.concat(chunks) }));
      res.on('error', reject);
      setTimeout(() => res.resume(), pauseMs);
    });
    req.on('error', reject);
  });
}

/** A GET with `range` whose connection is dropped after its first bytes. */
function abandonRange(url: URL, range: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers: { range }, agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => resolve());
  });
}

describe('media Range answers from reused buffers', () => {
  let server: TestServer;
  let url: URL;
  const content = randomBytes(SIZE);

  beforeAll(async () => {
    server = await startTestServer();
    const file = path.join(server.dataDir, 'media', ...KEY.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    url = new URL(createLinkSigner({ secret: server.secrets.linkKey, baseUrl: () => server.url, ttlSeconds: 600 }).url(KEY));
  });
  afterAll(async () => server.stop());

  it('gives each of many concurrent, slowly read and abandoned ranges its own bytes', async () => {
    // Sizes from one byte to several 1 MiB chunks, offsets all over the file.
    const ranges = Array.from({ length: 48 }, (_, i) => {
      const length = [1, 1000, 65_536, 65_537, 700_000, 1024 * 1024, 3 * 1024 * 1024 + 5, 8 * 1024 * 1024][i % 8] as number;
      const start = (i * 1_234_567) % (SIZE - length);
      return { start, end: start + length - 1 };
    });
    for (let round = 0; round < 3; round++) {
      const abandoned = ranges.filter((_, i) => i % 5 === 0).map((r) => abandonRange(url, `bytes=${r.start}-${r.end}`));
      const answers = await Promise.all(ranges.map((r, i) => getRange(url, `bytes=${r.start}-${r.end}`, (i % 4) * 40)));
      await Promise.all(abandoned);
      answers.forEach((answer, i) => {
        const r = ranges[i] as { start: number; end: number };
        expect(answer.status).toBe(206);
        expect(answer.contentRange).toBe(`bytes ${r.start}-${r.end}/${SIZE}`);
        expect(answer.body.length).toBe(r.end - r.start + 1);
        expect(answer.body.equals(content.subarray(r.start, r.end + 1))).toBe(true);
      });
    }
  });

  it('answers HEAD with the head only, an empty file with an empty 200, a missing one with 404', async () => {
    const head = await fetch(url, { method: 'HEAD', headers: { range: 'bytes=10-19' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-length')).toBe('10');
    expect(head.headers.get('content-range')).toBe(`bytes 10-19/${SIZE}`);
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const signer = createLinkSigner({ secret: server.secrets.linkKey, baseUrl: () => server.url, ttlSeconds: 600 });
    const emptyFile = path.join(server.dataDir, 'media', 'tests', 'range', 'empty.mp4');
    writeFileSync(emptyFile, Buffer.alloc(0));
    const empty = await fetch(signer.url('tests/range/empty.mp4'));
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-length')).toBe('0');
    expect((await empty.arrayBuffer()).byteLength).toBe(0);

    const missing = await fetch(signer.url('tests/range/missing.mp4'), { headers: { range: 'bytes=0-9' } });
    expect(missing.status).toBe(404);
  });

  it('sends the whole file and ranges past one chunk unchanged, beside downloads dropped half way', async () => {
    for (let round = 0; round < 2; round++) {
      const abandoned = Array.from({ length: 4 }, (_, i) => abandonRange(url, `bytes=${i * 1000}-`));
      const answers = await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => getRange(url, `bytes=0-${SIZE - 1}`, i * 30)),
        getRange(url, `bytes=1-${9 * 1024 * 1024}`, 20),
        getRange(url, `bytes=${SIZE - 3 * 1024 * 1024 - 7}-`, 10),
      ]);
      await Promise.all(abandoned);
      for (const answer of answers.slice(0, 4)) expect(answer.body.equals(content)).toBe(true);
      expect(answers[4]?.body.equals(content.subarray(1, 9 * 1024 * 1024 + 1))).toBe(true);
      expect(answers[5]?.body.equals(content.subarray(SIZE - 3 * 1024 * 1024 - 7))).toBe(true);
    }
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-length')).toBe(String(SIZE));
    expect(Buffer.from(await whole.arrayBuffer()).equals(content)).toBe(true);
  });
});
