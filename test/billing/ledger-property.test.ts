/**
 * The ledger balances for every key after a random mix of 500 task outcomes (fast-check), on a
 * real SQLite file and on PostgreSQL: tasks are created through the real create path (price,
 * limits, hold in one transaction) and ended through the real compare-and-swap transitions,
 * including stale and losing ones, which must move no money.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settlingOutbox } from '../../src/billing/settlement.ts';
import { DEFAULT_PRICE_TABLE } from '../../src/billing/price-table.ts';
import { isAppError } from '../../src/domain/errors.ts';
import { TIERS, type VideoRequest } from '../../src/domain/video-request.ts';
import { createTaskCreator } from '../../src/engine/create-task.ts';
import { createWakeup } from '../../src/engine/wakeup.ts';
import { createApiKeyStore } from '../../src/store/api-keys.ts';
import { createIdempotencyKeys } from '../../src/store/idempotency-keys.ts';
import { createTaskCancels } from '../../src/store/task-cancel.ts';
import { createTaskRepository, type UpstreamCharge } from '../../src/store/task-repository.ts';
import { expectBalanced } from '../support/billing.ts';
import { backends } from '../support/databases.ts';
import { videoRequest } from '../support/video-request.ts';

const OUTCOMES = ['complete', 'fail-queued', 'fail-running', 'cancel-queued', 'cancel-running', 'cancel-race', 'stale-then-fail', 'leave-active'] as const;
type Outcome = (typeof OUTCOMES)[number];

const step = fc.record({
  key: fc.nat({ max: 2 }),
  outcome: fc.constantFrom(...OUTCOMES),
  duration: fc.integer({ min: 3, max: 15 }),
  tier: fc.constantFrom(...TIERS),
  sound: fc.boolean(),
  /** Delivered seconds as a share of the requested ones (ffprobe reads a little more or less). */
  delivered: fc.double({ min: 0.5, max: 1.1, noNaN: true }),
  /** The upstream finished (and charged for) the render a cancel discards, with or without reported units. */
  upstreamCharge: fc.option(fc.record({ units: fc.option(fc.double({ min: 0.1, max: 20, noNaN: true }), { nil: null }) }), { nil: null }),
});
const keyLimits = fc.record({
  budget: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
  maxConcurrency: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
});

describe.each(backends)('the ledger on $name', (backend) => {
  it('balances for every key after 500 random task outcomes', { timeout: 240_000 }, async () => {
    const { db, cleanup } = await backend.open();
    try {
      let clock = 1_700_000_000_000;
      const now = () => clock;
      const keys = createApiKeyStore(db.kysely, randomBytes(32));
      const tasks = createTaskRepository(db.kysely, db.kind, settlingOutbox(undefined));
      const cancels = createTaskCancels(db.kysely, settlingOutbox(undefined));
      const createTask = createTaskCreator({ tasks, idempotencyKeys: createIdempotencyKeys(db.kysely), wakeup: createWakeup(), providerFor: () => 'preview', prices: DEFAULT_PRICE_TABLE, now });

      await fc.assert(
        fc.asyncProperty(fc.tuple(keyLimits, keyLimits, keyLimits), fc.array(step, { minLength: 500, maxLength: 500 }), async (limits, steps) => {
          const owners = await Promise.all(
            limits.map((l, i) => keys.create(`k${i}`, { budgetMicros: l.budget === null ? null : l.budget * 1_000_000, maxConcurrency: l.maxConcurrency })),
          );
          const driven = new Set<Outcome>();
          for (const s of steps) {
            clock += 1000;
            const owner = owners[s.key] as (typeof owners)[number];
            const tier = s.tier === '4k' && s.duration > 10 ? 'pro' : s.tier;
            const request: VideoRequest = { ...videoRequest(), duration: s.duration, tier, sound: s.sound };
            let created;
            try {
              created = await createTask({ keyId: owner.id, dialect: 'kling', kind: 'text2video', publicId: `p${clock}${Math.random()}`, request });
            } catch (e) {
              // A refusal (budget or concurrency) must leave nothing behind: checked by the balance below.
              if (!isAppError(e) || !['budget_exhausted', 'concurrency_limited'].includes(e.code)) throw e;
              continue;
            }
            await drive(created.task.id, owner.id, s.outcome, s.duration * s.delivered, s.upstreamCharge);
            driven.add(s.outcome);
          }
          // Unlimited keys are likely among three: the mix really reached the outcomes.
          if (limits.some((l) => l.budget === null && l.maxConcurrency === null)) expect(driven.size).toBeGreaterThanOrEqual(OUTCOMES.length - 1);
          for (const [i, owner] of owners.entries()) {
            const money = await expectBalanced(db.kysely, owner.id);
            const budget = limits[i]?.budget;
            if (budget !== null && budget !== undefined) expect(money.heldMicros + money.spentMicros).toBeLessThanOrEqual(budget * 1_000_000);
            const cap = limits[i]?.maxConcurrency;
            if (cap !== null && cap !== undefined) expect(money.activeTasks).toBeLessThanOrEqual(cap);
          }
        }),
        // No shrinking: a 500-step counterexample takes minutes to shrink; the failing assertion names the task.
        { numRuns: 2, endOnFailure: true },
      );

      /** Ends (or not) one task the way `outcome` says, with the lost races that must change nothing. */
      async function drive(id: string, keyId: string, outcome: Outcome, deliveredSeconds: number, upstreamCharge: UpstreamCharge | null): Promise<void> {
        if (outcome === 'cancel-queued') {
          expect(await cancels.cancelQueued(id, keyId, now())).toBe(true);
          expect(await cancels.cancelQueued(id, keyId, now())).toBe(false);
          return;
        }
        const token = `lease-${id}`;
        const [claimed] = await tasks.claimDue(now(), 1, 60_000, token);
        expect(claimed?.id).toBe(id);
        if (outcome === 'fail-queued') {
          expect(await tasks.fail(id, token, 'queued', { code: 'render_failed', message: 'x' }, now())).toBe(true);
          expect(await tasks.fail(id, token, 'queued', { code: 'render_failed', message: 'again' }, now())).toBe(false);
          return;
        }
        expect(await tasks.start(id, token, now())).toBe(true);
        const result = { videos: [{ id: 'v1', key: `${id}.mp4`, duration: deliveredSeconds }] };
        switch (outcome) {
          case 'complete':
            expect(await tasks.complete(id, token, result, null, now())).toBe(true);
            expect(await tasks.complete(id, token, result, null, now())).toBe(false);
            expect(await tasks.fail(id, token, 'running', { code: 'render_failed', message: 'late' }, now())).toBe(false);
            return;
          case 'fail-running':
            expect(await tasks.fail(id, token, 'running', { code: 'upstream_failed', message: 'x' }, now())).toBe(true);
            return;
          case 'cancel-running':
            expect(await cancels.requestCancel(id, keyId, now())).toBe(true);
            expect(await tasks.cancel(id, token, 'running', upstreamCharge, now())).toBe(true);
            return;
          case 'cancel-race':
            expect(await cancels.requestCancel(id, keyId, now())).toBe(true);
            // The render finished after the cancel request: completing loses, ending canceled wins.
            expect(await tasks.complete(id, token, result, upstreamCharge?.units ?? null, now())).toBe(false);
            expect(await tasks.cancel(id, token, 'running', upstreamCharge, now())).toBe(true);
            expect(await tasks.cancel(id, token, 'running', upstreamCharge, now())).toBe(false);
            return;
          case 'stale-then-fail':
            // A worker whose lease was lost writes nothing.
            expect(await tasks.complete(id, 'someone-else', result, null, now())).toBe(false);
            expect(await tasks.fail(id, token, 'running', { code: 'worker_lost', message: 'x' }, now())).toBe(true);
            return;
          case 'leave-active':
            // Still running at the end: its hold stays open. Out of the way of later claims.
            expect(await tasks.defer(id, token, 'running', now() + 10 ** 12, now())).toBe(true);
            return;
        }
      }
    } finally {
      await cleanup();
    }
  });
});
