/** Each fault the simulator injects is observable, counted, and repeatable with a seed. */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KlingSim, SimFaults } from '../../tools/kling-sim/sim-server.ts';
import { tempDir } from '../support/temp-dir.ts';
import { SHORT_BODY, createTask, kling, signToken, startReceiver, startSim, waitFor, waitForStatus } from './sim-helpers.ts';

describe('Kling simulator faults', () => {
  const tmp = tempDir('kling-sim-faults-');
  const workDir = path.join(tmp.dir, 'renders');
  const sims: KlingSim[] = [];
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    tmp.remove();
  });
  async function sim(faults: SimFaults, extra: Parameters<typeof startSim>[1] = {}): Promise<KlingSim> {
    const s = await startSim(workDir, { faults, ...extra });
    sims.push(s);
    return s;
  }

  it('an injected 5000 on create answers the official status and creates nothing', async () => {
    const s = await sim({ createErrors: { 5000: 1 } });
    const answer = await kling(s, '/v1/videos/text2video', { body: SHORT_BODY });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ code: 5000, message: 'Server internal error', request_id: expect.any(String) });
    expect(s.tasks()).toEqual([]);
    expect(s.stats()).toMatchObject({ createsAccepted: 0, injectedErrors: { '5000': 1 } });
  });

  it('injected query errors use the table status (1302 -> 429, 5001 -> 503)', async () => {
    const s = await sim({});
    const id = await createTask(s, SHORT_BODY);
    s.setFaults({ queryErrors: { 1302: 1 } });
    expect(await kling(s, `/v1/videos/text2video/${id}`)).toMatchObject({ status: 429, body: { code: 1302 } });
    s.setFaults({ queryErrors: { 5001: 1 } });
    expect(await kling(s, '/v1/videos/text2video')).toMatchObject({ status: 503, body: { code: 5001 } });
    s.setFaults({});
    expect((await kling(s, `/v1/videos/text2video/${id}`)).status).toBe(200);
    expect(s.stats().injectedErrors).toEqual({ '1302': 1, '5001': 1 });
  });

  it('drop-after-accept makes the request fail, yet the task exists, runs and is counted', async () => {
    const s = await sim({ dropAfterAcceptRate: 1, taskFailureRate: 1 }, { schedule: { submittedMs: 20, processingMs: 20 } });
    const res = fetch(`${s.url}/v1/videos/text2video`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await signToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...SHORT_BODY, external_task_id: 'dropped-1' }),
    });
    await expect(res).rejects.toThrow();
    const task = s.task('dropped-1');
    expect(task).toMatchObject({ externalTaskId: 'dropped-1', kind: 'text2video' });
    expect(s.stats()).toMatchObject({ createsAccepted: 1, droppedResponses: 1, acceptedPerExternalId: { 'dropped-1': 1 } });
    // The client's recovery: look the task up by its external id instead of creating it again.
    s.setFaults({ taskFailureRate: 1 });
    const found = await kling(s, '/v1/videos/text2video/dropped-1');
    expect((found.body.data as { task_id: string }).task_id).toBe(task?.taskId);
    await waitForStatus(s, 'dropped-1', 'failed');
  });

  it('lost callbacks are not sent and are counted', async () => {
    const receiver = await startReceiver();
    try {
      const s = await sim({ lostCallbackRate: 1, taskFailureRate: 1 }, { schedule: { submittedMs: 10, processingMs: 10 } });
      const id = await createTask(s, { ...SHORT_BODY, callback_url: receiver.url });
      await waitForStatus(s, id, 'failed');
      expect(s.stats()).toMatchObject({ callbacksLost: 3, callbacksSent: 0, callbacksFailed: 0 });
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.bodies).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('failure rate 1 ends every task failed with a message, no result and nothing charged', async () => {
    const s = await sim({ taskFailureRate: 1 }, { schedule: { submittedMs: 10, processingMs: 10 } });
    const id = await createTask(s, SHORT_BODY);
    await waitForStatus(s, id, 'failed');
    const data = (await kling(s, `/v1/videos/text2video/${id}`)).body.data as Record<string, unknown>;
    expect(data).toMatchObject({ task_status: 'failed', task_status_msg: 'Content security policy triggered (simulated)', final_unit_deduction: '0' });
    expect(data).not.toHaveProperty('task_result');
    expect(s.task(id)?.finishedAt).toEqual(expect.any(Number));
    expect(s.stats().renders).toBe(0);
  });

  it('adds latency before handling', async () => {
    const s = await sim({ latencyMs: { min: 150, max: 200 } });
    const started = Date.now();
    await kling(s, '/v1/videos/text2video');
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('records when each request arrived, by route, only when asked to (GET /_sim/arrivals)', async () => {
    const off = await sim({});
    await createTask(off, SHORT_BODY);
    expect((await fetch(`${off.url}/_sim/arrivals`)).status).toBe(404);
    const on = await sim({}, { recordArrivals: true });
    const before = Date.now();
    const id = await createTask(on, SHORT_BODY);
    await createTask(on, SHORT_BODY);
    await kling(on, `/v1/videos/text2video/${id}`, { method: 'GET' });
    const after = Date.now();
    const arrivals = (await (await fetch(`${on.url}/_sim/arrivals`)).json()) as Record<string, number[]>;
    expect(Object.keys(arrivals).sort()).toEqual(['create', 'query']);
    expect(arrivals.create).toHaveLength(2);
    expect(arrivals.query).toHaveLength(1);
    for (const t of [...(arrivals.create ?? []), ...(arrivals.query ?? [])]) {
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(after);
    }
  });

  it('records its own event-loop pauses beside the arrivals (GET /_sim/stalls), only when asked to', async () => {
    const off = await sim({});
    expect((await fetch(`${off.url}/_sim/stalls`)).status).toBe(404);
    const on = await sim({}, { recordArrivals: true });
    await new Promise((r) => setTimeout(r, 50));
    // The simulator runs in this process here, so blocking this thread pauses its loop.
    const blockedFrom = Date.now();
    while (Date.now() - blockedFrom < 120) {
      // busy: no timer can run
    }
    const blockedUntil = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    const stalls = (await (await fetch(`${on.url}/_sim/stalls`)).json()) as Array<{ endedAt: number; ms: number }>;
    const pause = stalls.find((s) => s.ms >= 100);
    expect(pause).toBeDefined();
    expect(pause?.ms).toBeLessThan(1000);
    expect(pause?.endedAt).toBeGreaterThanOrEqual(blockedUntil - 5);
    expect((pause?.endedAt ?? 0) - (pause?.ms ?? 0)).toBeLessThanOrEqual(blockedFrom + 15);
  });

  it('lists every task over HTTP (GET /_sim/tasks), as tasks() does', async () => {
    const s = await sim({});
    const id = await createTask(s, SHORT_BODY);
    const listed = (await (await fetch(`${s.url}/_sim/tasks`)).json()) as Array<Record<string, unknown>>;
    expect(listed.map((t) => t.taskId)).toEqual([id]);
    const [task] = s.tasks();
    expect(Object.keys(listed[0] ?? {}).sort()).toEqual(Object.keys(task ?? {}).sort());
    expect(listed[0]).toMatchObject({ taskId: id, createdAt: task?.createdAt, finishedAt: null });
  });

  it('replaces faults over HTTP (PUT /_sim/faults) and serves stats (GET /_sim/stats)', async () => {
    const s = await sim({});
    const put = await fetch(`${s.url}/_sim/faults`, { method: 'PUT', body: JSON.stringify({ createErrors: { '1301': 1 } }) });
    expect(put.status).toBe(200);
    expect(await kling(s, '/v1/videos/text2video', { body: SHORT_BODY })).toMatchObject({ status: 400, body: { code: 1301, message: 'Content security policy triggered' } });
    const bad = await fetch(`${s.url}/_sim/faults`, { method: 'PUT', body: JSON.stringify({ createErrors: { '42': 1 } }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/42/);
    const before = Date.now();
    const answer = await fetch(`${s.url}/_sim/stats`);
    const stats = (await answer.json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ injectedErrors: { '1301': 1 }, requests: { create: 1, faults: 2, stats: 1 } });
    expect(stats).toHaveProperty('acceptedPerExternalId');
    const brief = (await (await fetch(`${s.url}/_sim/stats?brief`)).json()) as Record<string, unknown>;
    expect(brief).not.toHaveProperty('acceptedPerExternalId');
    expect(brief).toMatchObject({ injectedErrors: { '1301': 1 }, requests: { create: 1, stats: 2 } });
    // The simulator's clock at the snapshot, for rates sampled over HTTP.
    expect(Number(answer.headers.get('x-sim-clock-ms'))).toBeGreaterThanOrEqual(before);
    expect(Number(answer.headers.get('x-sim-clock-ms'))).toBeLessThanOrEqual(Date.now());
    expect(() => s.setFaults({ taskFailureRate: 2 })).toThrow(/taskFailureRate/);
  });

  it('makes the same choices for the same seed', async () => {
    const run = async (seed: number) => {
      const s = await sim({ createErrors: { 5000: 0.3, 1303: 0.2 } }, { seed, accounts: [{ accessKey: 'sim-access-key', secretKey: 'sim-secret-key', concurrency: 100 }] });
      const codes: number[] = [];
      for (let i = 0; i < 20; i++) codes.push((await kling(s, '/v1/videos/text2video', { body: SHORT_BODY })).body.code);
      return codes;
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect(new Set(first)).toEqual(new Set([0, 1303, 5000]));
  });

  it('counts every request by route label', async () => {
    const s = await sim({});
    await kling(s, '/v1/videos/text2video', { body: SHORT_BODY });
    await kling(s, '/v1/videos/text2video/x');
    await kling(s, '/v1/videos/text2video');
    await fetch(`${s.url}/results/1/0.mp4?exp=1&sig=x`);
    await fetch(`${s.url}/elsewhere`);
    await waitFor('counts', () => s.stats().requests.unknown === 1);
    expect(s.stats().requests).toEqual({ create: 1, query: 1, list: 1, result: 1, unknown: 1 });
  });
});
