import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { writeLedger, type LedgerEntry } from '../../src/billing/ledger-entries.ts';
import { createUsageReport, MS_PER_DAY, type UsageReporter } from '../../src/billing/usage.ts';
import { createApiKeyStore } from '../../src/store/api-keys.ts';
import type { Db } from '../../src/store/database.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';

const DAY = Date.UTC(2026, 10, 20);
const HOUR = 3_600_000;
const ZERO = { credits_held: 0, credits_captured: 0, credits_released: 0, tasks_created: 0, tasks_completed: 0, tasks_failed: 0, tasks_canceled: 0, tasks_refunded: 0 };

type Task = { key: string; task: string; model?: string; tier?: string };

/** A task's hold, and at its end (when given) a capture and a release, each of 0 only where settlement writes one (src/billing/settlement.ts). */
function ledgerOf(t: Task, hold: { micros: number; at: number }, end?: { outcome: string; captured: number; released: number; at: number }): LedgerEntry[] {
  const base = { key_id: t.key, task_id: t.task, model: t.model ?? 'kling-v3', tier: t.tier ?? 'std' };
  const entries: LedgerEntry[] = [{ ...base, entry: 'hold', micros: hold.micros, outcome: null, created_at: hold.at }];
  if (end) {
    const capture = end.captured > 0 || end.outcome === 'completed';
    if (capture) entries.push({ ...base, entry: 'capture', micros: end.captured, outcome: end.outcome, created_at: end.at });
    if (end.released > 0 || !capture) entries.push({ ...base, entry: 'release', micros: end.released, outcome: end.outcome, created_at: end.at });
  }
  return entries;
}

describe.each(backends)('usage report on $name', (backend) => {
  let db: Db;
  let usage: UsageReporter;
  let alpha: string;

  eachDatabase(backend, (opened) => {
    db = opened;
    usage = createUsageReport(db.kysely);
  });

  /** Two UTC days of a key `alpha` and the master key: every way a task ends, and one still running. */
  async function seed(): Promise<void> {
    alpha = (await createApiKeyStore(db.kysely, randomBytes(32)).create('alpha')).id;
    const a = (task: string, more: Partial<Task> = {}) => ({ key: alpha, task, ...more });
    await writeLedger(db.kysely, [
      ...ledgerOf(a('t1'), { micros: 3_000_000, at: DAY + 1 * HOUR }, { outcome: 'completed', captured: 3_000_000, released: 0, at: DAY + 2 * HOUR }),
      // A shorter video than asked for: part captured, the rest released; completed, not refunded.
      ...ledgerOf(a('t2'), { micros: 1_500_000, at: DAY + 3 * HOUR }, { outcome: 'completed', captured: 900_000, released: 600_000, at: DAY + 4 * HOUR }),
      ...ledgerOf(a('t3', { tier: 'pro' }), { micros: 5_000_000, at: DAY + 5 * HOUR }, { outcome: 'failed', captured: 0, released: 5_000_000, at: DAY + 6 * HOUR }),
      // Canceled too late (the upstream charged): captured in full, so canceled but not refunded.
      ...ledgerOf(a('t6'), { micros: 1_000_000, at: DAY + 7 * HOUR }, { outcome: 'canceled', captured: 1_000_000, released: 0, at: DAY + 8 * HOUR }),
      // Held on the last millisecond of the first day, refunded on the next.
      ...ledgerOf({ key: 'master', task: 't4' }, { micros: 2_000_000, at: DAY + MS_PER_DAY - 1 }, { outcome: 'canceled', captured: 0, released: 2_000_000, at: DAY + MS_PER_DAY }),
      ...ledgerOf(a('t5', { model: 'kling-v3-turbo' }), { micros: 700_000, at: DAY + MS_PER_DAY + 2 * HOUR }),
    ]);
  }

  it('sums credits and counts tasks per UTC day, key, model and tier, sorted, with totals', async () => {
    await seed();
    const report = await usage({ from: DAY, to: DAY + 2 * MS_PER_DAY });
    expect(report.rows).toEqual([
      { day: '2026-11-20', key_id: alpha, key_name: 'alpha', model: 'kling-v3', tier: 'pro', ...ZERO, credits_held: 5, credits_released: 5, tasks_created: 1, tasks_failed: 1, tasks_refunded: 1 },
      {
        day: '2026-11-20', key_id: alpha, key_name: 'alpha', model: 'kling-v3', tier: 'std',
        ...ZERO, credits_held: 5.5, credits_captured: 4.9, credits_released: 0.6, tasks_created: 3, tasks_completed: 2, tasks_canceled: 1,
      },
      { day: '2026-11-20', key_id: 'master', key_name: null, model: 'kling-v3', tier: 'std', ...ZERO, credits_held: 2, tasks_created: 1 },
      { day: '2026-11-21', key_id: alpha, key_name: 'alpha', model: 'kling-v3-turbo', tier: 'std', ...ZERO, credits_held: 0.7, tasks_created: 1 },
      { day: '2026-11-21', key_id: 'master', key_name: null, model: 'kling-v3', tier: 'std', ...ZERO, credits_released: 2, tasks_canceled: 1, tasks_refunded: 1 },
    ]);
    expect(report.totals).toEqual({
      credits_held: 13.2, credits_captured: 4.9, credits_released: 7.6,
      tasks_created: 6, tasks_completed: 2, tasks_failed: 1, tasks_canceled: 2, tasks_refunded: 2,
    });
  });

  it('sums in micro-credits before turning them into credits', async () => {
    const task = (id: string, micros: number) => ledgerOf({ key: 'master', task: id }, { micros, at: DAY });
    await writeLedger(db.kysely, [...task('a', 100_000), ...task('b', 200_000)]);
    const report = await usage({ from: DAY, to: DAY + 1 });
    // 0.1 + 0.2 in floating point is 0.30000000000000004.
    expect(report.rows[0]?.credits_held).toBe(0.3);
    expect(report.totals.credits_held).toBe(0.3);
  });

  it('counts the outcomes of free tasks (a model priced 0), which move no money', async () => {
    const free = (id: string, outcome: string) => ledgerOf({ key: 'master', task: id }, { micros: 0, at: DAY }, { outcome, captured: 0, released: 0, at: DAY });
    await writeLedger(db.kysely, [...free('f1', 'completed'), ...free('f2', 'failed'), ...free('f3', 'canceled')]);
    const report = await usage({ from: DAY, to: DAY + 1 });
    expect(report.totals).toEqual({ ...ZERO, tasks_created: 3, tasks_completed: 1, tasks_failed: 1, tasks_canceled: 1 });
  });

  it('takes entries from `from` inclusive up to `to` exclusive', async () => {
    await seed();
    const report = await usage({ from: DAY + 3 * HOUR, to: DAY + 6 * HOUR });
    // t2's hold (at 3 h) and settlement, t3's hold; not t3's release written at 6 h.
    expect(report.totals).toEqual({ ...ZERO, credits_held: 6.5, credits_captured: 0.9, credits_released: 0.6, tasks_created: 2, tasks_completed: 1 });
    const lastMs = await usage({ from: DAY + MS_PER_DAY - 1, to: DAY + MS_PER_DAY });
    expect(lastMs.rows.map((r) => [r.day, r.key_id, r.credits_held])).toEqual([['2026-11-20', 'master', 2]]);
  });

  it('reports one key when asked, the master key under `master`', async () => {
    await seed();
    const master = await usage({ keyId: 'master', from: DAY, to: DAY + 2 * MS_PER_DAY });
    expect(master.rows.map((r) => r.key_id)).toEqual(['master', 'master']);
    expect(master.totals).toEqual({ ...ZERO, credits_held: 2, credits_released: 2, tasks_created: 1, tasks_canceled: 1, tasks_refunded: 1 });
    const one = await usage({ keyId: alpha, from: DAY, to: DAY + 2 * MS_PER_DAY });
    expect(one.totals.tasks_created).toBe(5);
  });

  it('answers no rows and zero totals for a key without entries, or an id that cannot exist', async () => {
    await seed();
    for (const keyId of ['key_nobody', 'key_\u0000']) {
      expect(await usage({ keyId, from: DAY, to: DAY + 2 * MS_PER_DAY })).toEqual({ rows: [], totals: ZERO });
    }
    expect(await usage({ from: DAY + 2 * MS_PER_DAY, to: DAY + 3 * MS_PER_DAY })).toEqual({ rows: [], totals: ZERO });
  });

  it('still names a revoked key', async () => {
    await seed();
    await createApiKeyStore(db.kysely, randomBytes(32)).revoke(alpha);
    const report = await usage({ keyId: alpha, from: DAY, to: DAY + 2 * MS_PER_DAY });
    expect(new Set(report.rows.map((r) => r.key_name))).toEqual(new Set(['alpha']));
  });
});
