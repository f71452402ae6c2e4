/**
 * Billing of tasks on a real upstream (the Kling simulator): a render the upstream fails is
 * refunded in full; a cancel that arrives while the upstream renders cannot stop it (Kling has no
 * cancel), so the finished render is discarded and charged.
 */
import { describe, expect, it } from 'vitest';
import { settlementOf } from '../../src/billing/settlement.ts';
import type { KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { expectBalanced } from '../support/billing.ts';
import { simChannel, simTestSuite } from '../support/kling-sim-server.ts';
import type { CreatedKey, TestServer } from '../support/server.ts';
import { waitForKlingTask } from '../support/server.ts';
import { videoRequest } from '../support/video-request.ts';

const CREDIT = 1_000_000;

describe('billing against the Kling simulator', () => {
  let sim: KlingSim;
  let reelay: TestServer;
  simTestSuite({ sim: { schedule: { submittedMs: 200, processingMs: 1500 } }, channels: (s) => [simChannel(s)] }, (s) => {
    ({ sim, reelay } = s);
  });

  const keyWith = async (budget: number): Promise<CreatedKey> =>
    (await (await reelay.api('/admin/keys', { method: 'POST', json: { name: 'remote', budget_credits: budget } })).json()) as CreatedKey;
  const create = async (key: string) => {
    const res = await reelay.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: 'a kite', duration: '5', mode: 'pro' } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { task_id: string } }).data.task_id;
  };
  const statusOf = async (publicId: string) =>
    (await reelay.db.kysely.selectFrom('tasks').select('status').where('public_id', '=', publicId).executeTakeFirstOrThrow()).status;

  it('captures a completed task and refunds a task the upstream failed, exactly', async () => {
    const key = await keyWith(8);
    const done = await create(key.key);
    expect((await waitForKlingTask(reelay, `/v1/videos/text2video/${done}`, key.key, 30_000)).task_status).toBe('succeed');
    sim.setFaults({ taskFailureRate: 1 });
    try {
      const failed = await create(key.key);
      expect((await waitForKlingTask(reelay, `/v1/videos/text2video/${failed}`, key.key, 30_000)).task_status).toBe('failed');
    } finally {
      sim.setFaults({});
    }
    // 5 s at 1080p without audio = 4 credits; the failed one is all released.
    expect(await expectBalanced(reelay.db.kysely, key.id)).toMatchObject({ holds: 2, captured: 4 * CREDIT, released: 4 * CREDIT, spentMicros: 4 * CREDIT, heldMicros: 0 });
  });

  it('charges a cancel that came while the upstream was rendering: the finished render is discarded, not refunded', async () => {
    const key = await keyWith(4);
    const id = await create(key.key);
    const deadline = Date.now() + 20_000;
    while ((await statusOf(id)) !== 'running') {
      if (Date.now() > deadline) throw new Error('the upstream never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await reelay.api(`/v1/tasks/${id}/cancel`, { method: 'POST', key: key.key })).status).toBe(200);
    await waitForKlingTask(reelay, `/v1/videos/text2video/${id}`, key.key, 30_000);
    expect(await statusOf(id)).toBe('canceled');
    expect(await expectBalanced(reelay.db.kysely, key.id)).toMatchObject({ holds: 1, captured: 4 * CREDIT, released: 0, spentMicros: 4 * CREDIT, heldMicros: 0 });
  });
});

describe('settlementOf', () => {
  const request = { ...videoRequest(), duration: 10 };
  const hold = 8 * CREDIT;
  const completed = (...durations: number[]) => ({ status: 'completed' as const, request, result: { videos: durations.map((d, i) => ({ id: `v${i}`, key: `k${i}`, duration: d })) } });

  it('captures the delivered whole seconds, never more than asked, and releases the rest', () => {
    expect(settlementOf(completed(10.04), hold, false)).toEqual({ capturedMicros: hold, releasedMicros: 0, billedSeconds: 10 });
    expect(settlementOf(completed(7.4), hold, false)).toEqual({ capturedMicros: 5.6 * CREDIT, releasedMicros: 2.4 * CREDIT, billedSeconds: 7 });
    expect(settlementOf(completed(12), hold, false)).toEqual({ capturedMicros: hold, releasedMicros: 0, billedSeconds: 10 });
    // Several outputs: the longest is what was delivered.
    expect(settlementOf(completed(6, 9.6), hold, false).billedSeconds).toBe(10);
  });

  it('releases everything for failed tasks and for cancels the upstream never charged; captures a cancel it did', () => {
    expect(settlementOf({ status: 'failed', request, result: null }, hold, true)).toEqual({ capturedMicros: 0, releasedMicros: hold, billedSeconds: null });
    expect(settlementOf({ status: 'canceled', request, result: null }, hold, false)).toEqual({ capturedMicros: 0, releasedMicros: hold, billedSeconds: null });
    expect(settlementOf({ status: 'canceled', request, result: null }, hold, true)).toEqual({ capturedMicros: hold, releasedMicros: 0, billedSeconds: 10 });
  });
});
