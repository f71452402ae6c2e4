import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import { startTestServer, waitForKlingTask, type TestServer } from '../support/server.ts';
import { tempDir } from '../support/temp-dir.ts';

const execFileAsync = promisify(execFile);
const { ffmpeg } = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });

type Video = { id: string; url: string; duration: string };

/** A tiny static image server on 127.0.0.1 that counts the connections it accepts. */
function startImageServer(files: Record<string, Buffer>): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) {
      res.writeHead(404);
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(body.length) });
    res.end(body);
  });
  server.on('connection', () => void (connections += 1));
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        connections: () => connections,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}

async function pixel(file: string, seconds: number): Promise<number[]> {
  const { stdout } = await execFileAsync(
    ffmpeg,
    ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-vf', 'crop=16:16:8:8,scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { encoding: 'buffer' },
  );
  return [...stdout];
}

const near = (actual: number[], expected: number[]) => actual.length === 3 && actual.every((c, i) => Math.abs(c - (expected[i] ?? 0)) <= 16);

describe('image-to-video inputs end to end', () => {
  const tmp = tempDir('reelay-e2e-images-');
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let blueBase64 = '';

  beforeAll(async () => {
    const files: Record<string, Buffer> = {};
    for (const colour of ['red', 'blue']) {
      const file = path.join(tmp.dir, `${colour}.png`);
      await execFileAsync(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=${colour}:s=640x360`, '-frames:v', '1', file]);
      files[`/${colour}.png`] = readFileSync(file);
    }
    blueBase64 = (files['/blue.png'] as Buffer).toString('base64');
    images = await startImageServer(files);
  });
  afterAll(async () => {
    await images.close();
    tmp.remove();
  });

  describe('with REELAY_ALLOW_PRIVATE_URLS=true (local development)', () => {
    let server: TestServer;
    let key: string;
    beforeAll(async () => {
      server = await startTestServer({ env: { REELAY_ALLOW_PRIVATE_URLS: 'true' } });
      key = (await server.createKey('images')).key;
    });
    afterAll(async () => server.stop());

    it('renders image (a URL) as the opening second and image_tail (raw base64) as the closing one', async () => {
      const body = { model_name: 'kling-v3', prompt: 'the balloon rises', image: `${images.url}/red.png`, image_tail: blueBase64, duration: '3', mode: 'std' };
      const res = await server.api('/v1/videos/image2video', { method: 'POST', key, json: body });
      expect(res.status).toBe(200);
      const created = (await res.json()) as { code: number; data: { task_id: string; task_status: string } };
      expect(created.code).toBe(0);
      expect(created.data.task_id).toMatch(/^\d{18}$/);
      const data = await waitForKlingTask(server, `/v1/videos/image2video/${created.data.task_id}`, key);
      expect(data.task_status, String(data.task_status_msg)).toBe('succeed');
      expect(images.connections()).toBeGreaterThan(0);

      const video = (data.task_result as { videos: Video[] }).videos[0] as Video;
      const download = await fetch(video.url);
      expect(download.status).toBe(200);
      const file = path.join(tmp.dir, `${created.data.task_id}.mp4`);
      await writeFile(file, Buffer.from(await download.arrayBuffer()));
      const probe = await probeVideo(server.ffmpeg.ffprobe, file);
      expect(probe).toMatchObject({ width: 1280, height: 720, videoCodec: 'h264', pixelFormat: 'yuv420p' });
      expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
      expect(near(await pixel(file, 0.5), [255, 0, 0]), 'red opening').toBe(true);
      expect(near(await pixel(file, 2.5), [0, 0, 255]), 'blue closing').toBe(true);
    });

    it('fails the task with the reason when the image URL answers 404', async () => {
      const body = { model_name: 'kling-v3', prompt: 'x', image: `${images.url}/missing.png`, duration: '3' };
      const res = await server.api('/v1/videos/image2video', { method: 'POST', key, json: body });
      const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
      const data = await waitForKlingTask(server, `/v1/videos/image2video/${id}`, key);
      expect(data.task_status).toBe('failed');
      expect(data.task_status_msg).toBe('preview render failed: first frame: the server answered HTTP 404');
    });
  });

  describe('with private targets refused (the default)', () => {
    let server: TestServer;
    let key: string;
    beforeAll(async () => {
      server = await startTestServer({ env: { REELAY_ALLOW_PRIVATE_URLS: 'false' } });
      key = (await server.createKey('images')).key;
    });
    afterAll(async () => server.stop());

    // The create is accepted: where a name points is known only when it is fetched, so the
    // task fails at render time with the reason; the image server is never contacted.
    it.each([
      ['http', (u: string) => u, 'url must use https, not http'],
      ['https to 127.0.0.1', (u: string) => u.replace('http:', 'https:'), 'url points to a private address 127.0.0.1 (loopback); only public addresses may be fetched'],
      ['https to localhost', (u: string) => u.replace('http://127.0.0.1', 'https://localhost'), /^url host localhost resolves to a private address (127\.0\.0\.1|::1) \(loopback\)/],
    ] as const)('fails the task naming the refusal for %s, without connecting', async (_name, toUrl, reason) => {
      const before = images.connections();
      const body = { model_name: 'kling-v3', prompt: 'x', image: toUrl(`${images.url}/red.png`), duration: '3' };
      const res = await server.api('/v1/videos/image2video', { method: 'POST', key, json: body });
      expect(res.status).toBe(200);
      const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
      const data = await waitForKlingTask(server, `/v1/videos/image2video/${id}`, key);
      expect(data.task_status).toBe('failed');
      const message = String(data.task_status_msg);
      expect(message.startsWith('preview render failed: first frame: ')).toBe(true);
      const detail = message.slice('preview render failed: first frame: '.length);
      if (typeof reason === 'string') expect(detail).toBe(reason);
      else expect(detail).toMatch(reason);
      expect(images.connections()).toBe(before);
    });

    it('fails the task clearly when a raw base64 frame is not an image', async () => {
      const body = { model_name: 'kling-v3', prompt: 'x', image: Buffer.from('not an image').toString('base64'), duration: '3' };
      const res = await server.api('/v1/videos/image2video', { method: 'POST', key, json: body });
      const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
      const data = await waitForKlingTask(server, `/v1/videos/image2video/${id}`, key);
      expect(data.task_status).toBe('failed');
      expect(data.task_status_msg).toBe('preview render failed: first frame: is not a JPEG or PNG image');
    });
  });
});
