/**
 * Reelay's `kling` provider end to end against the Kling simulator (a real server on 127.0.0.1):
 * submit once with the documented body, callback-driven completion, the simulator's bytes served
 * by Reelay, upstream failures and refusals carried to the client in its dialect.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SIMULATED_FAILURE } from '../../tools/kling-sim/sim-lifecycle.ts';
import type { KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { simChannel, simTestSuite } from '../support/kling-sim-server.ts';
import type { TestServer } from '../support/server.ts';
import { kling } from '../tools/sim-helpers.ts';

type Video = { id: string; url: string; duration: string; watermark_url?: string };
type KlingData = { task_id: string; task_status: string; task_status_msg: string; task_result?: { videos: Video[] }; final_unit_deduction?: string };
const sha256 = (b: ArrayBuffer) => createHash('sha256').update(Buffer.from(b)).digest('hex');

describe('the kling provider against the simulator', () => {
  let sim: KlingSim;
  let reelay: TestServer;
  let key: string;
  // The first check is due after 30 s (the expected render time), later ones every second: a
  // status query before 30 s would be a callback read as "check soon" rather than as an answer.
  simTestSuite({ sim: { schedule: { submittedMs: 200, processingMs: 800 } }, channels: (s) => [simChannel(s, { expected_render_seconds: 30, poll_interval_seconds: 1, max_poll_interval_seconds: 1 })] }, (s) => {
    ({ sim, reelay, key } = s);
  });

  async function create(body: object): Promise<string> {
    const res = await reelay.api('/v1/videos/text2video', { method: 'POST', key, json: body });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { task_id: string } }).data.task_id;
  }
  async function read(id: string): Promise<KlingData> {
    return ((await (await reelay.api(`/v1/videos/text2video/${id}`, { key })).json()) as { data: KlingData }).data;
  }
  async function waitTerminal(id: string, timeoutMs = 20_000): Promise<{ data: KlingData; seenAt: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const data = await read(id);
      if (data.task_status === 'succeed' || data.task_status === 'failed') return { data, seenAt: Date.now() };
      if (Date.now() > deadline) throw new Error(`task ${id} still ${data.task_status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async function upstreamIdOf(publicId: string): Promise<string> {
    const row = await reelay.db.kysely.selectFrom('tasks').select('upstream_id').where('public_id', '=', publicId).executeTakeFirstOrThrow();
    return row.upstream_id ?? '';
  }

  it('submits the documented legacy body once, completes within 1 s of the simulator by callback, and serves its bytes', async () => {
    const queriesBefore = sim.stats().requests['query'] ?? 0;
    const id = await create({ model_name: 'kling-v3', prompt: 'a calm woman smiles', duration: '5', mode: 'std', aspect_ratio: '16:9', sound: 'on', watermark_info: { enabled: true } });
    const { data, seenAt } = await waitTerminal(id);
    // Kling's callbacks carry its query answer: Reelay read them and never had to ask.
    expect(sim.stats().requests['query'] ?? 0).toBe(queriesBefore);
    expect(data.task_status).toBe('succeed');
    const upstreamId = await upstreamIdOf(id);
    const simTask = sim.task(upstreamId);
    expect(simTask?.status).toBe('succeed');
    expect(seenAt - (simTask?.finishedAt ?? 0)).toBeLessThanOrEqual(1000);

    const internal = await reelay.db.kysely.selectFrom('tasks').select('id').where('public_id', '=', id).executeTakeFirstOrThrow();
    expect(simTask?.externalTaskId).toBe(internal.id);
    expect(simTask?.body).toMatchObject({ model_name: 'kling-v3', duration: '5', mode: 'std', sound: 'on', aspect_ratio: '16:9', watermark_info: { enabled: true } });
    expect(simTask?.callbackUrl).toMatch(new RegExp(`^${reelay.url}/callbacks/upstream/${internal.id}/[A-Za-z0-9_-]{32}$`));
    expect(sim.stats().acceptedPerExternalId[internal.id]).toBe(1);

    // The bytes Reelay serves are the simulator's, for the clip and the watermarked copy.
    const upstream = await kling(sim, `/v1/videos/text2video/${upstreamId}`);
    const simVideo = ((upstream.body.data as KlingData).task_result?.videos ?? [])[0] as Video;
    const video = (data.task_result?.videos ?? [])[0] as Video;
    expect(video.url.startsWith(`${reelay.url}/media/`)).toBe(true);
    expect(sha256(await (await fetch(video.url)).arrayBuffer())).toBe(sha256(await (await fetch(simVideo.url)).arrayBuffer()));
    expect(sha256(await (await fetch(video.watermark_url ?? '')).arrayBuffer())).toBe(sha256(await (await fetch(simVideo.watermark_url ?? '')).arrayBuffer()));
    // Kling's units for 5 s std with sound: 5 x 0.9.
    expect(data.final_unit_deduction).toBe('4.5');
  });

  it('sends image2video to the image2video route with image and image_tail as the client gave them', async () => {
    const tail = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
    const body = { model_name: 'kling-v3', prompt: 'the balloon rises', image: 'https://images.example.com/red.png', image_tail: tail, duration: '5', mode: 'pro' };
    const res = await reelay.api('/v1/videos/image2video', { method: 'POST', key, json: body });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const deadline = Date.now() + 20_000;
    let status = '';
    while (Date.now() < deadline && status !== 'succeed' && status !== 'failed') {
      status = ((await (await reelay.api(`/v1/videos/image2video/${id}`, { key })).json()) as { data: KlingData }).data.task_status;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('succeed');
    const simTask = sim.task(await upstreamIdOf(id));
    expect(simTask?.kind).toBe('image2video');
    expect(simTask?.body).toMatchObject({ image: 'https://images.example.com/red.png', image_tail: tail, duration: '5', mode: 'pro' });
  });

  it('fails the task with the upstream task_status_msg when the render fails', async () => {
    sim.setFaults({ taskFailureRate: 1 });
    try {
      const id = await create({ model_name: 'kling-v3', prompt: 'doomed', duration: '3' });
      const { data } = await waitTerminal(id);
      expect(data.task_status).toBe('failed');
      expect(data.task_status_msg).toContain(SIMULATED_FAILURE);
    } finally {
      sim.setFaults({});
    }
  });

  it('fails a request the upstream refuses (1301) with its message, and never sends it again', async () => {
    sim.setFaults({ createErrors: { 1301: 1 } });
    try {
      const before = sim.stats().requests['create'] ?? 0;
      const id = await create({ model_name: 'kling-v3', prompt: 'refused', duration: '3' });
      const { data } = await waitTerminal(id);
      expect(data.task_status).toBe('failed');
      expect(data.task_status_msg).toMatch(/content security policy/i);
      expect((sim.stats().requests['create'] ?? 0) - before).toBe(1);
    } finally {
      sim.setFaults({});
    }
  });

  async function callbackUrlOf(publicId: string): Promise<string> {
    for (let i = 0; i < 200; i += 1) {
      const upstreamId = await upstreamIdOf(publicId);
      const url = upstreamId ? sim.task(upstreamId)?.callbackUrl : undefined;
      if (url) return url;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`task ${publicId} was not submitted`);
  }

  it("asks the upstream itself when a callback names another task, or hands a video URL the guard refuses", async () => {
    for (const forged of ['another task', 'a private address']) {
      const queriesBefore = sim.stats().requests['query'] ?? 0;
      const id = await create({ model_name: 'kling-v3', prompt: `forged callback: ${forged}`, duration: '3' });
      const url = await callbackUrlOf(id);
      const upstreamId = await upstreamIdOf(id);
      // A well-formed success whose video lies somewhere Reelay must not fetch from.
      const body = { task_id: forged === 'another task' ? '999999999999999999' : upstreamId, task_status: 'succeed', task_status_msg: '', task_result: { videos: [{ id: 'v', url: 'http://10.0.0.1/stolen.mp4', duration: '3' }] } };
      expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status).toBe(200);
      const { data } = await waitTerminal(id);
      expect(data.task_status, forged).toBe('succeed');
      const simVideo = ((await kling(sim, `/v1/videos/text2video/${upstreamId}`)).body.data as KlingData).task_result?.videos[0] as Video;
      const video = (data.task_result?.videos ?? [])[0] as Video;
      expect(sha256(await (await fetch(video.url)).arrayBuffer()), forged).toBe(sha256(await (await fetch(simVideo.url)).arrayBuffer()));
      const row = await reelay.db.kysely.selectFrom('tasks').select(['mirror_failures']).where('public_id', '=', id).executeTakeFirstOrThrow();
      // Another task's body is not read at all; a refused URL counts as a failed copy, then the upstream is asked.
      expect(row.mirror_failures, forged).toBe(forged === 'another task' ? 0 : 1);
      expect(sim.stats().requests['query'] ?? 0, forged).toBeGreaterThan(queriesBefore);
    }
  });

  it('answers a callback with a wrong token 404 and a right one 200', async () => {
    const id = await create({ model_name: 'kling-v3', prompt: 'callback check', duration: '3' });
    const internal = await reelay.db.kysely.selectFrom('tasks').select('id').where('public_id', '=', id).executeTakeFirstOrThrow();
    const wrong = await fetch(`${reelay.url}/callbacks/upstream/${internal.id}/${'A'.repeat(32)}`, { method: 'POST', body: '{}' });
    expect(wrong.status).toBe(404);
    await waitTerminal(id);
    const url = sim.task(await upstreamIdOf(id))?.callbackUrl ?? '';
    const right = await fetch(url, { method: 'POST', body: JSON.stringify({ task_status: 'succeed' }) });
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ code: 0, message: 'SUCCEED' });
  });
});
