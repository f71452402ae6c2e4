import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeVideo, type VideoProbe } from '../../src/media/probe-video.ts';
import { shotColour } from '../../src/providers/preview/filter-graph.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type Json = Record<string, unknown>;

const execFileAsync = promisify(execFile);
/** `0xRRGGBB` -> [r, g, b]. */
const rgb = (colour: string) => [0, 2, 4].map((i) => Number.parseInt(colour.slice(2 + i, 4 + i), 16));

describe('EvoLink and APIMart end to end on a real server', () => {
  let server: TestServer;
  let key: string;
  let images: http.Server;
  let imageBase = '';

  beforeAll(async () => {
    // Private targets allowed: the frame images are served from 127.0.0.1, as in local development.
    server = await startTestServer({ env: { REELAY_ALLOW_PRIVATE_URLS: 'true' } });
    key = (await server.createKey('e2e')).key;
    const pngs = new Map<string, Buffer>();
    for (const colour of ['red', 'blue']) {
      const file = path.join(server.dataDir, `${colour}.png`);
      await execFileAsync(server.ffmpeg.ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=${colour}:s=640x640`, '-frames:v', '1', file]);
      pngs.set(`/${colour}.png`, await readFile(file));
    }
    images = http.createServer((req, res) => {
      const png = pngs.get(req.url ?? '');
      res.writeHead(png ? 200 : 404, { 'content-type': 'image/png' });
      res.end(png);
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', () => resolve()));
    imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    images.closeAllConnections();
    await new Promise<void>((resolve) => images.close(() => resolve()));
    await server.stop();
  });

  /** Mean RGB of a 16x16 patch at (x, y) at `seconds`. */
  async function colourAt(file: string, seconds: number, x = 352, y = 352): Promise<number[]> {
    const { stdout } = await execFileAsync(
      server.ffmpeg.ffmpeg,
      ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-vf', `crop=16:16:${x}:${y}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
      { encoding: 'buffer' },
    );
    const sums = [0, 0, 0];
    stdout.forEach((byte, i) => (sums[i % 3] = (sums[i % 3] ?? 0) + byte));
    return sums.map((s) => Math.round(s / (stdout.length / 3)));
  }
  const near = (actual: number[], expected: number[]) => actual.every((c, i) => Math.abs(c - (expected[i] ?? 0)) <= 16);

  /** Polls GET /v1/tasks/{id} until `statusOf` reads a terminal word. */
  async function poll(id: string, statusOf: (body: Json) => unknown, timeoutMs = 90_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await server.api(`/v1/tasks/${id}`, { key });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Json;
      const status = statusOf(body);
      if (status === 'completed' || status === 'failed') return body;
      if (Date.now() > deadline) throw new Error(`task ${id} still ${String(status)} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function download(url: string, name: string): Promise<VideoProbe> {
    expect(url.startsWith(`${server.url}/media/`)).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const file = path.join(server.dataDir, `${name}.mp4`);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    return probeVideo(server.ffmpeg.ffprobe, file);
  }

  async function evolink(body: object): Promise<{ task: Json; probe: VideoProbe; file: string }> {
    const res = await server.api('/v1/videos/generations', { method: 'POST', key, json: body });
    expect(res.status).toBe(200);
    const created = (await res.json()) as Json;
    expect(created.status).toBe('pending');
    const task = await poll(created.id as string, (b) => b.status);
    expect(task).toMatchObject({ id: created.id, status: 'completed', progress: 100, object: 'video.generation.task', task_info: { can_cancel: false } });
    expect(task.error).toBeUndefined();
    const results = task.results as string[];
    expect(results).toHaveLength(1);
    const file = path.join(server.dataDir, `${created.id as string}.mp4`);
    return { task, probe: await download(results[0] as string, created.id as string), file };
  }

  async function apimart(body: object): Promise<{ data: Json; probe: VideoProbe; file: string }> {
    const res = await server.api('/v1/videos/generations', { method: 'POST', key, json: body });
    expect(res.status).toBe(200);
    const created = (await res.json()) as { code: number; data: Array<{ status: string; task_id: string }> };
    expect(created.data[0]?.status).toBe('submitted');
    const id = created.data[0]?.task_id as string;
    const answer = await poll(id, (b) => (b.data as Json).status);
    expect(answer.code).toBe(200);
    const data = answer.data as Json;
    expect(data).toMatchObject({ id, status: 'completed', progress: 100 });
    expect(data.error).toBeUndefined();
    expect(data.actual_time).toBe((data.completed as number) - (data.created as number));
    const videos = (data.result as { videos: Array<{ url: string[]; expires_at: number }> }).videos;
    expect(videos).toHaveLength(1);
    const [video] = videos as [{ url: string[]; expires_at: number }];
    expect(video.url).toHaveLength(1);
    expect(Math.abs(video.expires_at - (Math.floor(Date.now() / 1000) + 86_400))).toBeLessThanOrEqual(5);
    const file = path.join(server.dataDir, `${id}.mp4`);
    return { data, probe: await download(video.url[0] as string, id), file };
  }

  it('EvoLink standard: creates, polls and downloads a 3 s 720p MP4 with audio', async () => {
    const { task, probe } = await evolink({ model: 'kling-v3-text-to-video', prompt: 'A cat running on a grass field', duration: 3, quality: '720p', generate_audio: true });
    expect(task.model).toBe('kling-v3-text-to-video');
    expect(probe).toMatchObject({ width: 1280, height: 720, videoCodec: 'h264', hasAudio: true });
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
  });

  it('EvoLink turbo: renders the shots written in the prompt, 9:16 without audio', async () => {
    const { task, probe, file } = await evolink({
      model: 'kling-v3-turbo-text-to-video',
      prompt: '镜头 1, 1, the girl walks toward the window; 镜头 2, 2, the camera zooms into her profile;',
      duration: 3,
      aspect_ratio: '9:16',
    });
    expect(task.model).toBe('kling-v3-turbo-text-to-video');
    expect(probe).toMatchObject({ width: 720, height: 1280, videoCodec: 'h264', hasAudio: false });
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    // The preview paints each shot in its own colour: shot 1 for 1 s, then shot 2 for 2 s.
    expect(near(await colourAt(file, 0.5, 8, 8), rgb(shotColour(1))), 'shot 1 at 0.5 s').toBe(true);
    expect(near(await colourAt(file, 2, 8, 8), rgb(shotColour(2))), 'shot 2 at 2 s').toBe(true);
  });

  it('APIMart text-to-video: a 3 s std MP4 with audio', async () => {
    const { probe } = await apimart({ model: 'kling-v3', prompt: 'a golden retriever running on the beach, sunset', mode: 'std', duration: 3, audio: true });
    expect(probe).toMatchObject({ width: 1280, height: 720, videoCodec: 'h264', hasAudio: true });
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
  });

  it('APIMart image-to-video with a first frame: a 3 s 1:1 MP4 that opens on the image', async () => {
    const { probe, file } = await apimart({ model: 'kling-v3', prompt: 'the dog starts to run', duration: 3, aspect_ratio: '1:1', image_urls: [`${imageBase}/red.png`] });
    expect(probe).toMatchObject({ width: 720, height: 720, videoCodec: 'h264', hasAudio: false });
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    expect(near(await colourAt(file, 0.3), [255, 0, 0]), 'the first frame image at 0.3 s').toBe(true);
  });

  it('APIMart image-to-video with first and last frames: opens on the first, closes on the last', async () => {
    const { file } = await apimart({ model: 'kling-v3', prompt: 'red turns blue', duration: 3, aspect_ratio: '1:1', image_urls: [`${imageBase}/red.png`, `${imageBase}/blue.png`] });
    expect(near(await colourAt(file, 0.3), [255, 0, 0]), 'the first frame at 0.3 s').toBe(true);
    expect(near(await colourAt(file, 2.8), [0, 0, 255]), 'the last frame at 2.8 s').toBe(true);
  });
});
