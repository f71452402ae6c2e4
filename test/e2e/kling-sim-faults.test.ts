/**
 * 200 tasks through two kling channels while the simulator injects 20 % faults of every kind:
 * error codes on create and query (5000-5002 ambiguous, 1302/1303 back-pressure, 1004 expired
 * token, 1301 refusal), latency, responses dropped after the task was accepted, lost callbacks,
 * failed renders and short-lived result URLs. Every task must end completed or failed with a
 * reason; no Reelay task may be accepted upstream twice; the account never runs more tasks than
 * the channels' max_concurrency allows.
 */
import { describe, expect, it } from 'vitest';
import type { KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { simChannel, simTestSuite } from '../support/kling-sim-server.ts';
import type { TestServer } from '../support/server.ts';

const TASKS = 200;
const PER_CHANNEL = 3;

describe('200 tasks under 20 % injected faults', () => {
  let sim: KlingSim;
  let reelay: TestServer;
  let key: string;
  simTestSuite(
    {
      sim: {
        seed: 20261121,
        schedule: { submittedMs: 100, processingMs: 300 },
        accounts: [{ accessKey: 'sim-access-key', secretKey: 'sim-secret-key', concurrency: 20 }],
        faults: {
          createErrors: { 5000: 0.04, 5001: 0.03, 5002: 0.03, 1302: 0.03, 1303: 0.04, 1004: 0.01, 1301: 0.02 },
          queryErrors: { 5000: 0.06, 5001: 0.04, 5002: 0.04, 1302: 0.05, 1004: 0.01 },
          latencyMs: { min: 0, max: 30 },
          dropAfterAcceptRate: 0.2,
          lostCallbackRate: 0.2,
          taskFailureRate: 0.2,
          urlTtlSeconds: 5,
        },
      },
      channels: (s) => [
        simChannel(s, { name: 'sim-a', max_concurrency: PER_CHANNEL, timeout_seconds: 2 }),
        simChannel(s, { name: 'sim-b', max_concurrency: PER_CHANNEL, timeout_seconds: 2 }),
      ],
    },
    (s) => ({ sim, reelay, key } = s),
  );

  it('ends every task completed or failed with a reason, accepted upstream at most once each', async () => {
    const created = await Promise.all(
      Array.from({ length: TASKS }, async (_, i) => {
        const res = await reelay.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: `fault clip ${i}`, duration: '3', mode: 'std' } });
        expect(res.status).toBe(200);
        return ((await res.json()) as { data: { task_id: string } }).data.task_id;
      }),
    );
    expect(new Set(created).size).toBe(TASKS);

    const started = Date.now();
    const deadline = started + 120_000;
    let rows: Array<{ id: string; status: string; error_code: string | null; error_message: string | null; upstream_id: string | null; result: string | null }> = [];
    for (;;) {
      rows = await reelay.db.kysely.selectFrom('tasks').select(['id', 'status', 'error_code', 'error_message', 'upstream_id', 'result']).execute();
      if (rows.every((r) => r.status === 'completed' || r.status === 'failed')) break;
      if (Date.now() > deadline) {
        const stuck = await reelay.db.kysely.selectFrom('tasks').selectAll().where('status', 'in', ['queued', 'running']).execute();
        const views = stuck.map((t) => ({ ...t, request: undefined, now: Date.now(), sim: sim.tasks().filter((x) => x.externalTaskId === t.id) }));
        throw new Error(`not terminal: ${JSON.stringify(views)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const completed = rows.filter((r) => r.status === 'completed');
    const failed = rows.filter((r) => r.status === 'failed');
    expect(completed.length + failed.length).toBe(TASKS);
    for (const f of failed) {
      expect(f.error_code).toBeTruthy();
      expect((f.error_message ?? '').length).toBeGreaterThan(0);
    }
    const stats = sim.stats();
    // Never two paid upstream tasks for one Reelay task.
    expect(stats.duplicateExternalIds).toBe(0);
    expect(Object.values(stats.acceptedPerExternalId).every((n) => n === 1)).toBe(true);
    // Every completed task's upstream task is the one the simulator accepted for it.
    for (const c of completed) expect(sim.task(c.upstream_id ?? '')?.externalTaskId).toBe(c.id);
    // The channels' max_concurrency, summed, bounds the account.
    expect(stats.maxConcurrent['sim-access-key']).toBeLessThanOrEqual(2 * PER_CHANNEL);
    // Each kind of fault actually happened.
    expect(stats.droppedResponses).toBeGreaterThan(0);
    expect(stats.callbacksLost).toBeGreaterThan(0);
    for (const code of ['5000', '1303', '1302']) expect(stats.injectedErrors[code] ?? 0).toBeGreaterThan(0);
    // Most tasks get through; failures are the injected render failures and refusals, not losses.
    expect(completed.length).toBeGreaterThan(TASKS * 0.6);
    const reasons = new Map<string, number>();
    for (const f of failed) reasons.set(f.error_code ?? '', (reasons.get(f.error_code ?? '') ?? 0) + 1);
    console.log(`${Date.now() - started} ms: completed ${completed.length}, failed ${failed.length} by reason ${JSON.stringify(Object.fromEntries(reasons))}; sim ${JSON.stringify({ accepted: stats.createsAccepted, dropped: stats.droppedResponses, injected: stats.injectedErrors, maxConcurrent: stats.maxConcurrent })}`);
    const channels = (await (await reelay.api('/admin/channels')).json()) as { channels: Array<{ in_flight: number }> };
    expect(channels.channels.every((c) => c.in_flight === 0)).toBe(true);
  }, 300_000);
});
