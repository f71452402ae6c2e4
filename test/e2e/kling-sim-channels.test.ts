/**
 * Channel behaviour against the simulator: the account's concurrency limit answered by waiting
 * (1303 is back-pressure, not a failure), and failover from a channel whose credentials the
 * upstream refuses, visible in GET /admin/channels.
 */
import { describe, expect, it } from 'vitest';
import type { KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { simChannel, simTestSuite } from '../support/kling-sim-server.ts';
import { waitForKlingTask, type TestServer } from '../support/server.ts';

type ChannelView = { name: string; healthy: boolean; in_flight: number; recent_errors: Array<{ class: string; code: string; message: string }> };

async function createMany(reelay: TestServer, key: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await reelay.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: `clip ${i}`, duration: '3' } });
    ids.push(((await res.json()) as { data: { task_id: string } }).data.task_id);
  }
  return ids;
}

describe('an account concurrency limit below the channel max', () => {
  let sim: KlingSim;
  let reelay: TestServer;
  let key: string;
  simTestSuite(
    {
      sim: { schedule: { submittedMs: 100, processingMs: 400 }, accounts: [{ accessKey: 'sim-access-key', secretKey: 'sim-secret-key', concurrency: 2 }] },
      channels: (s) => [simChannel(s, { max_concurrency: 5 })],
    },
    (s) => ({ sim, reelay, key } = s),
  );

  it('waits through 1303 answers: every task completes, the account never runs more than 2', async () => {
    const ids = await createMany(reelay, key, 6);
    for (const id of ids) expect((await waitForKlingTask(reelay, `/v1/videos/text2video/${id}`, key, 60_000)).task_status).toBe('succeed');
    const stats = sim.stats();
    expect(stats.concurrencyRefusals).toBeGreaterThan(0);
    expect(stats.maxConcurrent['sim-access-key']).toBeLessThanOrEqual(2);
    expect(Object.values(stats.acceptedPerExternalId).every((n) => n === 1)).toBe(true);
  });
});

describe('a channel whose credentials the upstream refuses', () => {
  let sim: KlingSim;
  let reelay: TestServer;
  let key: string;
  simTestSuite(
    {
      sim: { schedule: { submittedMs: 100, processingMs: 300 } },
      channels: (s) => [simChannel(s, { name: 'bad-key', secret_key: 'not-the-secret', priority: 10 }), simChannel(s, { name: 'good', priority: 0, max_concurrency: 3 })],
    },
    (s) => ({ sim, reelay, key } = s),
  );

  it('fails the task over to the next channel and shows the first one unhealthy', async () => {
    const [id] = await createMany(reelay, key, 1);
    expect((await waitForKlingTask(reelay, `/v1/videos/text2video/${id ?? ''}`, key, 30_000)).task_status).toBe('succeed');
    const row = await reelay.db.kysely.selectFrom('tasks').select('provider').where('public_id', '=', id ?? '').executeTakeFirstOrThrow();
    expect(row.provider).toBe('good');
    const { channels } = (await (await reelay.api('/admin/channels')).json()) as { channels: ChannelView[] };
    const bad = channels.find((c) => c.name === 'bad-key');
    expect(bad).toMatchObject({ healthy: false, in_flight: 0 });
    expect(bad?.recent_errors[0]).toMatchObject({ class: 'channel', code: '1000' });
    expect(channels.find((c) => c.name === 'good')).toMatchObject({ healthy: true, in_flight: 0 });
    expect(JSON.stringify(channels)).not.toContain('not-the-secret');
    expect(sim.stats().createsAccepted).toBe(1);
  });
});

describe('a task first checked after its timeout', () => {
  let sim: KlingSim;
  let reelay: TestServer;
  let key: string;
  // The first check comes 6 s after the submit, past the 1 s task timeout, with no callback:
  // the upstream has finished (and charged) by then, so Reelay must collect it, not time it out.
  // (The simulator renders its MP4 before it reports succeed: on a loaded machine that took over
  // 2 s, so a first check sooner than this could find the task still processing.)
  simTestSuite(
    { sim: { schedule: { submittedMs: 100, processingMs: 200 } }, channels: (s) => [simChannel(s, { callbacks: false, expected_render_seconds: 6, task_timeout_seconds: 1 })] },
    (s) => ({ sim, reelay, key } = s),
  );

  it('collects the finished task however late it asks', async () => {
    const [id] = await createMany(reelay, key, 1);
    const data = await waitForKlingTask(reelay, `/v1/videos/text2video/${id ?? ''}`, key, 30_000);
    expect(data.task_status).toBe('succeed');
    expect(sim.stats().createsAccepted).toBe(1);
  });
});

describe('a task no upstream ever accepts', () => {
  let reelay: TestServer;
  let key: string;
  let sim: KlingSim;
  simTestSuite(
    { sim: { schedule: { submittedMs: 100, processingMs: 300 }, faults: { createErrors: { 1303: 1 } } }, channels: (s) => [simChannel(s, { task_timeout_seconds: 1.5 })] },
    (s) => ({ sim, reelay, key } = s),
  );

  it('fails with upstream_unavailable after the task timeout instead of waiting forever', async () => {
    const [id] = await createMany(reelay, key, 1);
    const data = await waitForKlingTask(reelay, `/v1/videos/text2video/${id ?? ''}`, key, 30_000);
    expect(data.task_status).toBe('failed');
    expect(data.task_status_msg).toBe('no upstream accepted the task within 2 s');
    expect(sim.stats().createsAccepted).toBe(0);
  });
});
