import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeVideo } from '../../src/media/probe-video.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type NovitaResult = { task: { status: string; progress_percent: number; reason: string }; videos: Array<{ video_url: string; video_url_ttl: string; video_type: string }> };
type Video = { id: string; status: string; progress: number; completed_at: number | null; expires_at: number | null; seconds: string; size: string; error: unknown };

const deadline = () => Date.now() + 90_000;
const pause = () => new Promise((r) => setTimeout(r, 250));

describe('Novita and OpenAI end to end on a real server', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer();
    key = (await server.createKey('e2e')).key;
  });
  afterAll(async () => {
    await server.stop();
  });

  async function saveAndProbe(res: Response, name: string) {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const file = path.join(server.dataDir, name);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    return probeVideo(server.ffmpeg.ffprobe, file);
  }

  async function novitaRoundTrip(authorization: string) {
    const created = await fetch(`${server.url}/v3/async/kling-v3.0-pro-t2v`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'A lighthouse on a cliff at dusk', duration: 3, sound: true, aspect_ratio: '16:9' }),
    });
    expect(created.status).toBe(200);
    const { task_id } = (await created.json()) as { task_id: string };
    const end = deadline();
    for (;;) {
      const res = await fetch(`${server.url}/v3/async/task-result?task_id=${task_id}`, { headers: { authorization } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as NovitaResult;
      if (body.task.status === 'TASK_STATUS_SUCCEED') return { task_id, body };
      expect(['TASK_STATUS_QUEUED', 'TASK_STATUS_PROCESSING']).toContain(body.task.status);
      if (Date.now() > end) throw new Error(`Novita task still ${body.task.status}`);
      await pause();
    }
  }

  for (const [label, auth] of [['Bearer', (k: string) => `Bearer ${k}`], ['bare', (k: string) => k]] as const) {
    it(`Novita pro path with the key ${label}: create, poll, download a 1080p 3 s MP4 with audio`, async () => {
      const { task_id, body } = await novitaRoundTrip(auth(key));
      expect(body.task).toMatchObject({ progress_percent: 100, reason: '' });
      expect(body.videos).toHaveLength(1);
      const video = body.videos[0] as NovitaResult['videos'][number];
      expect(video).toEqual({ video_url: expect.stringMatching(/\/media\/.+\.mp4\?exp=\d+&sig=/), video_url_ttl: '86400', video_type: 'mp4' });
      const probe = await saveAndProbe(await fetch(video.video_url), `${task_id}.mp4`);
      expect(probe).toMatchObject({ width: 1920, height: 1080, videoCodec: 'h264', hasAudio: true });
      expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    });
  }

  async function waitForVideo(id: string): Promise<Video> {
    const end = deadline();
    for (;;) {
      const res = await server.api(`/v1/videos/${id}`, { key });
      expect(res.status).toBe(200);
      const video = (await res.json()) as Video;
      if (video.status === 'completed' || video.status === 'failed') return video;
      expect(['queued', 'in_progress']).toContain(video.status);
      if (Date.now() > end) throw new Error(`video still ${video.status}`);
      await pause();
    }
  }

  async function openAiRoundTrip(create: () => Promise<Response>, expected: { width: number; height: number; audio: boolean }) {
    const created = await create();
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as Video;
    const video = await waitForVideo(id);
    expect(video).toMatchObject({ status: 'completed', progress: 100, seconds: '3', error: null });
    expect(typeof video.completed_at).toBe('number');
    expect(video.expires_at as number).toBeGreaterThan(Date.now() / 1000);
    const probe = await saveAndProbe(await server.api(`/v1/videos/${id}/content`, { key }), `${id}.mp4`);
    expect(probe).toMatchObject({ width: expected.width, height: expected.height, videoCodec: 'h264', hasAudio: expected.audio });
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    return id;
  }

  it('OpenAI JSON: create, poll, download /content; thumbnail; DELETE, then the video is gone', async () => {
    const id = await openAiRoundTrip(
      () => server.api('/v1/videos', { method: 'POST', key, json: { model: 'kling-v3', prompt: 'A calico cat playing a piano', seconds: '3', size: '1280x720' } }),
      { width: 1280, height: 720, audio: true },
    );

    const thumb = await server.api(`/v1/videos/${id}/content?variant=thumbnail`, { key });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await thumb.arrayBuffer());
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    const row = await server.db.kysely.selectFrom('tasks').select('id').where('public_id', '=', id).executeTakeFirstOrThrow();
    const file = path.join(server.dataDir, 'media', 'tasks', row.id, 'video-1.mp4');
    expect(existsSync(file)).toBe(true);
    const deleted = await server.api(`/v1/videos/${id}`, { method: 'DELETE', key });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id, object: 'video.deleted', deleted: true });
    expect(existsSync(file)).toBe(false);
    expect((await server.api(`/v1/videos/${id}`, { key })).status).toBe(404);
    expect((await server.api(`/v1/videos/${id}/content`, { key })).status).toBe(404);
    expect((await server.api(`/v1/videos/${id}`, { method: 'DELETE', key })).status).toBe(404);
  });

  it('OpenAI multipart: create with text fields, poll, download a 720x1280 MP4 without audio; DELETE', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({ model: 'kling-v3', prompt: 'A paper boat on a stream', seconds: '3', size: '720x1280', sound: 'false' })) form.append(name, value);
    const id = await openAiRoundTrip(() => server.api('/v1/videos', { method: 'POST', key, body: form }), { width: 720, height: 1280, audio: false });
    expect((await server.api(`/v1/videos/${id}`, { method: 'DELETE', key })).status).toBe(200);
    expect((await server.api(`/v1/videos/${id}`, { key })).status).toBe(404);
  });
});
