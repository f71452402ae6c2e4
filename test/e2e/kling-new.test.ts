import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeVideo } from '../../src/media/probe-video.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type Output = { type: string; id: string; url: string; watermark_url: string; duration: string };
type TaskObject = { id: string; status: string; message: string; outputs: Output[]; billing: Array<Record<string, string>>; external_id: string };

describe('Kling new design end to end on a real server: create -> GET /tasks -> download', () => {
  let server: TestServer;
  let images: Server;
  let frameUrl: string;
  let key: string;

  beforeAll(async () => {
    // The first frame is served from 127.0.0.1, which the URL guard refuses unless told otherwise.
    server = await startTestServer({ env: { REELAY_ALLOW_PRIVATE_URLS: 'true' } });
    key = (await server.createKey('e2e-new')).key;
    const png = path.join(server.dataDir, 'first-frame.png');
    await promisify(execFile)(server.ffmpeg.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=orange:s=640x640', '-frames:v', '1', '-y', png]);
    const bytes = await readFile(png);
    images = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length }).end(bytes));
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    frameUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/first-frame.png`;
  });
  afterAll(async () => {
    await new Promise((resolve) => images.close(resolve));
    await server.stop();
  });

  async function generate(route: string, body: object): Promise<{ task: TaskObject; file: string }> {
    const res = await server.api(route, { method: 'POST', key, json: body });
    const created = (await res.json()) as { code: number; data: { id: string } };
    expect({ status: res.status, code: created.code }).toEqual({ status: 200, code: 0 });
    const id = created.data.id;
    const deadline = Date.now() + 90_000;
    let task: TaskObject;
    for (;;) {
      const poll = await server.api(`/tasks?task_ids=${id}`, { key });
      task = ((await poll.json()) as { data: TaskObject[] }).data[0] as TaskObject;
      if (task.status === 'succeeded' || task.status === 'failed') break;
      expect(['submitted', 'processing']).toContain(task.status);
      if (Date.now() > deadline) throw new Error(`task ${id} still ${task.status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect({ status: task.status, message: task.message }).toEqual({ status: 'succeeded', message: '' });
    const output = task.outputs[0] as Output;
    expect(output.type).toBe('video');
    expect(output.url.startsWith(`${server.url}/media/`)).toBe(true);
    expect(typeof output.duration).toBe('string');
    expect(task.billing).toEqual([{ charge_type: 'unit', package_type: 'video', amount: expect.any(String) }]);
    const download = await fetch(output.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    const file = path.join(server.dataDir, `${id}.mp4`);
    await writeFile(file, Buffer.from(await download.arrayBuffer()));
    return { task, file };
  }

  it('renders all three routes: shot syntax with audio, turbo 9:16, and image-to-video from a first frame', async () => {
    const [t2v, turbo, i2v] = await Promise.all([
      generate('/text-to-video/kling-3.0', {
        prompt: '镜头 1, 1, a red kite rises; 镜头 2, 2, the kite loops over the sea;',
        settings: { audio: 'native', duration: 3 },
        options: { external_task_id: 'kite-e2e', watermark_info: { enabled: true } },
      }),
      generate('/text-to-video/kling-3.0-turbo', { prompt: 'a lighthouse at dusk', settings: { aspect_ratio: '9:16', duration: 3, resolution: '720p' } }),
      generate('/image-to-video/kling-3.0', {
        contents: [{ type: 'prompt', text: 'the orange square glows' }, { type: 'first_frame', url: frameUrl }],
        settings: { aspect_ratio: '1:1', duration: 3, multi_shot: false },
      }),
    ]);

    const shots = await probeVideo(server.ffmpeg.ffprobe, t2v.file);
    expect(shots).toMatchObject({ width: 1280, height: 720, videoCodec: 'h264', pixelFormat: 'yuv420p', hasAudio: true, audioCodec: 'aac' });
    expect(Math.abs(shots.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(Number(t2v.task.outputs[0]?.duration) - 3)).toBeLessThanOrEqual(0.1);
    expect(t2v.task.external_id).toBe('kite-e2e');
    // Credits charged for 3 s: 720p with audio 0.9/s, turbo 720p 0.8/s, 720p without audio 0.6/s.
    expect([t2v, turbo, i2v].map((r) => r.task.billing[0]?.amount)).toEqual(['2.7', '2.4', '1.8']);
    const watermarked = await fetch(t2v.task.outputs[0]?.watermark_url as string);
    expect(watermarked.status).toBe(200);
    await watermarked.arrayBuffer();

    const portrait = await probeVideo(server.ffmpeg.ffprobe, turbo.file);
    expect(portrait).toMatchObject({ width: 720, height: 1280, videoCodec: 'h264', hasAudio: false });
    expect(Math.abs(portrait.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    expect(turbo.task.outputs[0]?.watermark_url).toBe('');

    const square = await probeVideo(server.ffmpeg.ffprobe, i2v.file);
    expect(square).toMatchObject({ width: 720, height: 720, videoCodec: 'h264' });
    expect(Math.abs(square.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
  });
});
