/** The simulator's task API: create, lifecycle, query, list, results, callbacks, limits, the render cache. */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeVideo } from '../../src/media/probe-video.ts';
import type { KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { tempDir } from '../support/temp-dir.ts';
import {
  ACCESS_KEY,
  FAST_SCHEDULE,
  SECRET_KEY,
  SHORT_BODY,
  SPEC_SIMPLE_BODY,
  createTask,
  ffmpeg,
  kling,
  signToken,
  startReceiver,
  startSim,
  waitFor,
  waitForStatus,
} from './sim-helpers.ts';

type Video = { id: string; url: string; watermark_url?: string; duration: string };
type TaskData = {
  task_id: string;
  task_status: string;
  task_status_msg: string;
  task_info: { external_task_id?: string };
  task_result?: { videos: Video[] };
  watermark_info: { enabled: boolean };
  final_unit_deduction?: string;
  created_at: number;
  updated_at: number;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Kling simulator tasks', () => {
  const tmp = tempDir('kling-sim-tasks-');
  // One render cache for the file: every finished task here is the same 3 s std 16:9 clip.
  const workDir = path.join(tmp.dir, 'renders');
  let idle: KlingSim;
  let fast: KlingSim;
  beforeAll(async () => {
    idle = await startSim(workDir);
    fast = await startSim(workDir, { schedule: FAST_SCHEDULE, accounts: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, concurrency: 50 }] });
  });
  afterAll(async () => {
    await Promise.all([idle.close(), fast.close()]);
    tmp.remove();
  });

  it("answers the spec's simple create with the envelope, an 18-digit task_id and submitted", async () => {
    const answer = await kling(idle, '/v1/videos/text2video', { body: SPEC_SIMPLE_BODY });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toEqual(['code', 'message', 'request_id', 'data']);
    expect(answer.body).toMatchObject({ code: 0, message: 'SUCCEED', request_id: expect.stringMatching(UUID) });
    const data = answer.body.data as Record<string, unknown>;
    expect(data).toEqual({
      task_id: expect.stringMatching(/^\d{18}$/),
      task_status: 'submitted',
      task_info: { external_task_id: SPEC_SIMPLE_BODY.external_task_id },
      created_at: expect.any(Number),
      updated_at: data.created_at,
    });
    expect(Math.abs((data.created_at as number) - Date.now())).toBeLessThan(5000);
    expect(idle.task(data.task_id as string)).toMatchObject({ status: 'submitted', kind: 'text2video', units: '3', body: SPEC_SIMPLE_BODY });
  });

  it('refuses bad bodies with the Kling codes, naming the field', async () => {
    const duration = await kling(idle, '/v1/videos/text2video', { body: { ...SHORT_BODY, duration: '99' } });
    expect(duration.status).toBe(400);
    expect(duration.body).toMatchObject({ code: 1201, message: expect.stringContaining('duration') });
    const json = await kling(idle, '/v1/videos/text2video', { body: '{"prompt": ' });
    expect(json).toMatchObject({ status: 400, body: { code: 1200 } });
    const model = await kling(idle, '/v1/videos/text2video', { body: { ...SHORT_BODY, model_name: 'kling-v1' } });
    expect(model).toMatchObject({ status: 404, body: { code: 1203, message: expect.stringContaining('model_name') } });
    const noImage = await kling(idle, '/v1/videos/image2video', { body: SHORT_BODY });
    expect(noImage).toMatchObject({ status: 400, body: { code: 1201 } });
  });

  it('answers an unknown path or method with HTTP 404 and code 1202', async () => {
    for (const [method, route] of [['GET', '/v1/videos/omni-video'], ['DELETE', '/v1/videos/text2video/1'], ['GET', '/']] as const) {
      const answer = await kling(idle, route, { method });
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 1202, message: 'Requested method is invalid', request_id: expect.stringMatching(UUID) });
    }
  });

  it('refuses a second create with an external_task_id the account already used', async () => {
    await createTask(idle, { ...SHORT_BODY, external_task_id: 'dup-1' });
    const again = await kling(idle, '/v1/videos/text2video', { body: { ...SHORT_BODY, external_task_id: 'dup-1' } });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: 1201, message: expect.stringContaining('external_task_id') });
    const stats = idle.stats();
    expect(stats.duplicateExternalIds).toBe(1);
    expect(stats.acceptedPerExternalId['dup-1']).toBe(1);
  });

  it('refuses a create over the concurrency limit with the exact official 1303 body and HTTP 429', async () => {
    const limited = await startSim(workDir, { accounts: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, concurrency: 2 }], faults: { taskFailureRate: 1 } });
    try {
      await createTask(limited, SHORT_BODY);
      await createTask(limited, SHORT_BODY);
      const res = await fetch(`${limited.url}/v1/videos/text2video`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await signToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify(SHORT_BODY),
      });
      expect(res.status).toBe(429);
      const text = await res.text();
      expect(text).toMatch(/^\{"code":1303,"message":"parallel task over resource pack limit","request_id":"[0-9a-f-]{36}"\}$/);
      expect(limited.stats()).toMatchObject({ createsAccepted: 2, concurrencyRefusals: 1, maxConcurrent: { [ACCESS_KEY]: 2 }, injectedErrors: {} });
    } finally {
      await limited.close();
    }
  });

  it('frees the slot when a task ends', async () => {
    const limited = await startSim(workDir, {
      accounts: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, concurrency: 1 }],
      schedule: { submittedMs: 20, processingMs: 20 },
      faults: { taskFailureRate: 1 },
    });
    try {
      const first = await createTask(limited, SHORT_BODY);
      expect((await kling(limited, '/v1/videos/text2video', { body: SHORT_BODY })).status).toBe(429);
      await waitForStatus(limited, first, 'failed');
      await createTask(limited, SHORT_BODY);
      expect(limited.stats().maxConcurrent[ACCESS_KEY]).toBe(1);
    } finally {
      await limited.close();
    }
  });

  it('moves a task submitted -> processing -> succeed and serves it by task_id and by external_task_id', async () => {
    const id = await createTask(fast, { ...SHORT_BODY, sound: 'on', external_task_id: 'life-1', watermark_info: { enabled: true } });
    const seen: string[] = [];
    await waitFor('succeed', () => {
      const status = fast.task(id)?.status;
      if (status && seen.at(-1) !== status) seen.push(status);
      return status === 'succeed';
    });
    expect(seen).toEqual(['submitted', 'processing', 'succeed']);
    const byId = await kling(fast, `/v1/videos/text2video/${id}`);
    const byExternal = await kling(fast, '/v1/videos/text2video/life-1');
    expect(byId.status).toBe(200);
    const data = byId.body.data as TaskData;
    expect((byExternal.body.data as TaskData).task_id).toBe(id);
    expect(data).toMatchObject({
      task_id: id,
      task_status: 'succeed',
      task_status_msg: '',
      task_info: { external_task_id: 'life-1' },
      watermark_info: { enabled: true },
      // 3 s × 0.9 units/s (std with sound, spec §1.12)
      final_unit_deduction: '2.7',
    });
    expect(data.updated_at).toBeGreaterThanOrEqual(data.created_at + FAST_SCHEDULE.submittedMs + FAST_SCHEDULE.processingMs);
    const video = data.task_result?.videos[0];
    expect(video).toMatchObject({ id: expect.stringMatching(UUID), duration: '3.0', url: expect.stringContaining(`/results/${id}/`), watermark_url: expect.any(String) });
    // Another kind's path does not find it.
    expect((await kling(fast, `/v1/videos/image2video/${id}`)).body.code).toBe(1203);
    expect((await kling(fast, '/v1/videos/text2video/nope')).status).toBe(404);
  });

  it('serves the result as a real MP4 behind a signed URL; a tampered or expired URL gets 403', async () => {
    const id = await createTask(fast, { ...SHORT_BODY, watermark_info: { enabled: true } });
    await waitForStatus(fast, id, 'succeed');
    const video = ((await kling(fast, `/v1/videos/text2video/${id}`)).body.data as TaskData).task_result?.videos[0];
    if (!video?.watermark_url) throw new Error('no video');
    for (const url of [video.url, video.watermark_url]) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
      const file = path.join(tmp.dir, `${path.basename(new URL(url).pathname)}`);
      writeFileSync(file, bytes);
      const probe = await probeVideo(ffmpeg.ffprobe, file);
      expect(probe).toMatchObject({ width: 1280, height: 720 });
      expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    }
    const part = await fetch(video.url, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(100);

    const tampered = video.url.replace(/sig=./, (m) => (m.endsWith('A') ? 'sig=B' : 'sig=A'));
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toMatch(/signature/);
    const otherTask = video.url.replace(`/results/${id}/`, '/results/123456789012345678/');
    expect((await fetch(otherTask)).status).toBe(403);

    fast.setFaults({ urlTtlSeconds: 0 });
    try {
      const expiring = ((await kling(fast, `/v1/videos/text2video/${id}`)).body.data as TaskData).task_result?.videos[0];
      const expired = await fetch(expiring?.url ?? '');
      expect(expired.status).toBe(403);
      expect(await expired.text()).toMatch(/expired/);
    } finally {
      fast.setFaults({});
    }
  });

  it('runs image2video without downloading its frames and lists tasks newest first', async () => {
    const a = await createTask(fast, { ...SHORT_BODY, image: 'https://example.invalid/first.png' }, 'image2video');
    const b = await createTask(fast, { ...SHORT_BODY, image: 'https://example.invalid/first.png' }, 'image2video');
    await waitForStatus(fast, b, 'succeed');
    const list = await kling(fast, '/v1/videos/image2video?pageNum=1&pageSize=500');
    expect(list.status).toBe(200);
    expect((list.body.data as TaskData[]).map((t) => t.task_id).slice(0, 2)).toEqual([b, a]);
    const page2 = await kling(fast, '/v1/videos/image2video?pageNum=2&pageSize=1');
    expect((page2.body.data as TaskData[]).map((t) => t.task_id)).toEqual([a]);
    expect((await kling(fast, '/v1/videos/image2video?pageSize=501')).body.code).toBe(1201);
  });

  it('POSTs the legacy callback payload for every status to a real receiver', async () => {
    const receiver = await startReceiver();
    try {
      const id = await createTask(fast, { ...SHORT_BODY, callback_url: receiver.url, external_task_id: 'cb-1' });
      await waitFor('three callbacks', () => receiver.bodies.length >= 3);
      const byStatus = new Map(receiver.bodies.map((b) => [b.task_status, b]));
      expect([...byStatus.keys()].sort()).toEqual(['processing', 'submitted', 'succeed']);
      for (const body of receiver.bodies) {
        expect(body).toMatchObject({ task_id: id, task_status_msg: '', task_info: { external_task_id: 'cb-1' }, created_at: expect.any(Number), updated_at: expect.any(Number) });
        expect(body).not.toHaveProperty('code');
      }
      expect(byStatus.get('submitted')).not.toHaveProperty('task_result');
      expect(byStatus.get('succeed')).toMatchObject({ final_unit_deduction: '1.8', task_result: { videos: [{ url: expect.stringContaining('/results/'), duration: '3.0' }] } });
      await waitFor('callback stats', () => fast.stats().callbacksSent >= 3);
    } finally {
      await receiver.close();
    }
  });

  it('counts callbacks the receiver refuses as failed', async () => {
    const receiver = await startReceiver(500);
    const sim = await startSim(workDir, { schedule: { submittedMs: 10, processingMs: 10 }, faults: { taskFailureRate: 1 } });
    try {
      const id = await createTask(sim, { ...SHORT_BODY, callback_url: receiver.url });
      await waitForStatus(sim, id, 'failed');
      await waitFor('failed callbacks', () => sim.stats().callbacksFailed === 3);
      expect(sim.stats().callbacksSent).toBe(0);
    } finally {
      await Promise.all([sim.close(), receiver.close()]);
    }
  });

  it('renders once for 20 identical tasks', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-once');
    const sim = await startSim(cacheDir, { schedule: { submittedMs: 20, processingMs: 50 }, accounts: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, concurrency: 20 }] });
    try {
      const ids = await Promise.all(Array.from({ length: 20 }, () => createTask(sim, SHORT_BODY)));
      await Promise.all(ids.map((id) => waitForStatus(sim, id, 'succeed')));
      expect(sim.stats().renders).toBe(1);
      expect(readdirSync(cacheDir)).toEqual(['std-16x9-3s-silent-plain']);
      expect(sim.stats().maxConcurrent[ACCESS_KEY]).toBe(20);
    } finally {
      await sim.close();
    }
  });
});
