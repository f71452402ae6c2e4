/**
 * Reelay as a client of another gateway: a front Reelay whose kling-v3 channel is a second,
 * real Reelay reached through its new-api `/kling/v1` dialect (which renders with the preview
 * provider). The video the client downloads from the front must be the back's bytes.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitForKlingTask, type TestServer } from '../support/server.ts';

type Video = { id: string; url: string; duration: string };
const sha256 = (b: ArrayBuffer) => createHash('sha256').update(Buffer.from(b)).digest('hex');

describe('a reseller channel (new-api dialect) served by a second Reelay', () => {
  let back: TestServer;
  let front: TestServer;
  let key: string;
  let backKey: string;

  beforeAll(async () => {
    back = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    backKey = (await back.createKey('front')).key;
    front = await startTestServer({
      configFile: {
        channels: [
          {
            name: 'back',
            provider: 'newapi',
            base_url: back.url,
            api_key: backKey,
            expected_render_seconds: 0.5,
            poll_interval_seconds: 0.25,
            max_poll_interval_seconds: 1,
            max_concurrency: 2,
          },
        ],
      },
    });
    key = (await front.createKey('client')).key;
  });
  afterAll(async () => {
    await front?.stop();
    await back?.stop();
  });

  it('routes kling-v3 to the channel, mirrors the video and serves the upstream bytes', async () => {
    const res = await front.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: 'a lighthouse at dusk', duration: '3', mode: 'std' } });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const data = await waitForKlingTask(front, `/v1/videos/text2video/${id}`, key, 60_000);
    expect(data.task_status).toBe('succeed');
    const video = (data.task_result as { videos: Video[] }).videos[0] as Video;
    expect(video.url.startsWith(`${front.url}/media/`)).toBe(true);
    expect(Math.abs(Number(video.duration) - 3)).toBeLessThanOrEqual(0.2);
    const mirrored = await (await fetch(video.url)).arrayBuffer();

    // The back's own copy of the same task, found by the front's task id (its external_task_id).
    const tasks = await front.db.kysely.selectFrom('tasks').select(['id', 'provider', 'upstream_id']).execute();
    const row = tasks.find((t) => t.provider === 'back');
    expect(row?.upstream_id).toMatch(/^task_[0-9A-Za-z]{32}$/);
    const backTask = await waitForKlingTask(back, `/kling/v1/videos/text2video/${row?.upstream_id ?? ''}`, backKey, 5_000);
    expect((backTask.task_info as { external_task_id: string }).external_task_id).toBe(row?.id);
    const original = await (await fetch(((backTask.task_result as { videos: Video[] }).videos[0] as Video).url)).arrayBuffer();
    expect(sha256(mirrored)).toBe(sha256(original));
  });

  it.each(['evolink', 'apimart', 'novita'])('routes a multi-shot task through a %s channel to the same back end', async (provider) => {
    const other = await startTestServer({
      configFile: {
        channels: [{ name: provider, provider, base_url: back.url, api_key: backKey, expected_render_seconds: 0.5, poll_interval_seconds: 0.25, max_poll_interval_seconds: 1 }],
      },
    });
    try {
      const otherKey = (await other.createKey('client')).key;
      const body = {
        model_name: 'kling-v3',
        multi_shot: true,
        shot_type: 'customize',
        multi_prompt: [
          { index: 1, prompt: 'a door opens', duration: '1' },
          { index: 2, prompt: 'a cat walks in', duration: '2' },
        ],
        duration: '3',
        mode: 'std',
      };
      const res = await other.api('/v1/videos/text2video', { method: 'POST', key: otherKey, json: body });
      const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
      const data = await waitForKlingTask(other, `/v1/videos/text2video/${id}`, otherKey, 30_000);
      expect(data.task_status).toBe('succeed');
      const row = await other.db.kysely.selectFrom('tasks').select(['provider', 'upstream_id']).where('public_id', '=', id).executeTakeFirstOrThrow();
      expect(row.provider).toBe(provider);
      // The back end stored the shots as sent, in its own dialect.
      const stored = await back.db.kysely.selectFrom('tasks').select(['dialect', 'request']).where('public_id', '=', row.upstream_id ?? '').executeTakeFirstOrThrow();
      expect(JSON.parse(stored.request)).toMatchObject({ multiShot: 'customize', shots: [{ index: 1, prompt: 'a door opens', duration: 1 }, { index: 2, prompt: 'a cat walks in', duration: 2 }] });
      const video = (data.task_result as { videos: Video[] }).videos[0] as Video;
      const download = await fetch(video.url);
      expect(download.status).toBe(200);
      expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    } finally {
      await other.stop();
    }
  });

  it('serves a model no channel maps (turbo) with the local preview renderer', async () => {
    const res = await front.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3-turbo', prompt: 'a paper boat', duration: '3', mode: 'std' } });
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const data = await waitForKlingTask(front, `/v1/videos/text2video/${id}`, key, 60_000);
    expect(data.task_status).toBe('succeed');
    const row = await front.db.kysely.selectFrom('tasks').select('provider').where('public_id', '=', id).executeTakeFirstOrThrow();
    expect(row.provider).toBe('preview');
  });

  it('shows the channel healthy with nothing in flight afterwards', async () => {
    const res = await front.api('/admin/channels');
    expect(res.status).toBe(200);
    const { channels } = (await res.json()) as { channels: Array<Record<string, unknown>> };
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({ name: 'back', provider: 'newapi', healthy: true, in_flight: 0, max_concurrency: 2, models: { 'kling-v3': 'kling-v3' } });
    expect(JSON.stringify(channels)).not.toContain(backKey);
    const client = await front.api('/admin/channels', { key });
    expect(client.status).toBe(403);
  });
});
