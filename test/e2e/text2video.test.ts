import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkSigner } from '../../src/media/signed-links.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import { OFFICIAL_MULTI_SHOT, README_EXAMPLE } from '../support/kling-examples.ts';
import { startTestServer, waitForKlingTask, type TestServer } from '../support/server.ts';

type Video = { id: string; url: string; duration: string; watermark_url?: string };

describe('text2video end to end on a real server', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer();
    key = (await server.createKey('e2e')).key;
  });
  afterAll(async () => server.stop());

  async function generate(body: object): Promise<{ data: Record<string, unknown>; file: string }> {
    const res = await server.api('/v1/videos/text2video', { method: 'POST', key, json: body });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const data = await waitForKlingTask(server, `/v1/videos/text2video/${id}`, key);
    expect(data.task_status).toBe('succeed');
    const video = (data.task_result as { videos: Video[] }).videos[0] as Video;
    const download = await fetch(video.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    const file = path.join(server.dataDir, `${id}.mp4`);
    await writeFile(file, Buffer.from(await download.arrayBuffer()));
    return { data, file };
  }

  it('creates, polls and downloads a playable 720p MP4 with audio (the README example)', async () => {
    const { data, file } = await generate(README_EXAMPLE);
    const probe = await probeVideo(server.ffmpeg.ffprobe, file);
    expect(probe).toMatchObject({ width: 1280, height: 720, videoCodec: 'h264', pixelFormat: 'yuv420p', hasAudio: true, audioCodec: 'aac' });
    expect(Math.abs(probe.durationSeconds - 5)).toBeLessThanOrEqual(0.1);
    const video = (data.task_result as { videos: Video[] }).videos[0] as Video;
    expect(typeof video.duration).toBe('string');
    expect(Math.abs(Number(video.duration) - 5)).toBeLessThanOrEqual(0.1);
    expect(video.url.startsWith(`${server.url}/media/`)).toBe(true);
    // 5 s at 720p with audio: 5 × 0.9 credits (spec §1.12), captured at the delivered 5 s.
    expect(data.final_unit_deduction).toBe('4.5');
    expect(data.task_status_msg).toBe('');
    expect(data.reelay).toEqual({ progress: 100 });
  });

  it('renders a 15 s multi-shot 9:16 pro video with sound: 1080x1920, 15 s, audio', async () => {
    const { data, file } = await generate(OFFICIAL_MULTI_SHOT);
    const probe = await probeVideo(server.ffmpeg.ffprobe, file);
    expect(probe).toMatchObject({ width: 1080, height: 1920, videoCodec: 'h264', hasAudio: true });
    expect(Math.abs(probe.durationSeconds - 15)).toBeLessThanOrEqual(0.1);
    expect(data.task_info).toEqual({});
  });

  it('adds a watermarked copy when watermark_info.enabled, without audio when sound is off', async () => {
    const { data, file } = await generate({ model_name: 'kling-v3', prompt: 'a lighthouse', duration: 3, watermark_info: { enabled: true } });
    expect(data.watermark_info).toEqual({ enabled: true });
    const video = (data.task_result as { videos: Video[] }).videos[0] as Video;
    expect(video.watermark_url).toMatch(/\/media\/.+-watermark\.mp4\?exp=\d+&sig=/);
    const res = await fetch(video.watermark_url as string);
    expect(res.status).toBe(200);
    const probe = await probeVideo(server.ffmpeg.ffprobe, file);
    expect(probe.hasAudio).toBe(false);
  });

  it('serves media links with Range (206) and refuses altered or expired links (403)', async () => {
    const { data } = await generate({ model_name: 'kling-v3', prompt: 'a kite', duration: 3 });
    const url = new URL(((data.task_result as { videos: Video[] }).videos[0] as Video).url);
    const whole = await fetch(url);
    const size = Number(whole.headers.get('content-length'));
    expect(size).toBeGreaterThan(1000);
    await whole.arrayBuffer();

    const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${size}`);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    const beyond = await fetch(url, { headers: { range: `bytes=${size + 10}-` } });
    expect(beyond.status).toBe(416);

    const altered = new URL(url);
    altered.searchParams.set('sig', `${url.searchParams.get('sig')?.slice(0, -2)}xx`);
    expect((await fetch(altered)).status).toBe(403);
    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace('video-1.mp4', 'video-2.mp4');
    expect((await fetch(otherKey)).status).toBe(403);
    const longer = new URL(url);
    longer.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    expect((await fetch(longer)).status).toBe(403);

    const key = decodeURIComponent(url.pathname.replace(/^\/media\//, ''));
    const signer = createLinkSigner({ secret: server.secrets.linkKey, baseUrl: () => server.url, ttlSeconds: 60 });
    const expired = await fetch(signer.url(key, Date.now() - 3600_000));
    expect(expired.status).toBe(403);
    expect(await expired.json()).toMatchObject({ error: { message: expect.stringMatching(/expired/) } });
    expect((await fetch(signer.url(key))).status).toBe(200);
  });
});
