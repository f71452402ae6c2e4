/** Reads a key's money as the database holds it, and checks that its ledger balances. */
import { expect } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';

export type KeyMoney = { heldMicros: number; spentMicros: number; activeTasks: number; holds: number; captured: number; released: number; held: number };

/** The key's running totals and its ledger sums (micro-credits). */
export async function keyMoney(db: Kysely<Database>, keyId: string): Promise<KeyMoney> {
  const key = await db.selectFrom('api_keys').select(['held_micros', 'spent_micros', 'active_tasks']).where('id', '=', keyId).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('ledger').select(['entry', 'micros']).where('key_id', '=', keyId).execute();
  const sum = (entry: string) => rows.filter((r) => r.entry === entry).reduce((a, r) => a + r.micros, 0);
  return {
    heldMicros: key.held_micros,
    spentMicros: key.spent_micros,
    activeTasks: key.active_tasks,
    holds: rows.filter((r) => r.entry === 'hold').length,
    held: sum('hold'),
    captured: sum('capture'),
    released: sum('release'),
  };
}

/**
 * Every invariant of a key's money: its totals equal its ledger, every ended task's hold is
 * exactly its capture plus its release, open holds belong to active tasks only, and the key was
 * never charged past its budget.
 */
export async function expectBalanced(db: Kysely<Database>, keyId: string): Promise<KeyMoney> {
  const money = await keyMoney(db, keyId);
  expect(money.spentMicros).toBe(money.captured);
  expect(money.heldMicros).toBe(money.held - money.captured - money.released);
  const tasks = await db.selectFrom('tasks').select(['id', 'status', 'hold_micros', 'charged_micros', 'released_micros']).where('key_id', '=', keyId).execute();
  const entries = await db.selectFrom('ledger').select(['task_id', 'entry', 'micros']).where('key_id', '=', keyId).execute();
  const active = tasks.filter((t) => t.status === 'queued' || t.status === 'running');
  expect(money.activeTasks).toBe(active.length);
  for (const t of tasks) {
    const mine = entries.filter((e) => e.task_id === t.id);
    const of = (entry: string) => mine.filter((e) => e.entry === entry);
    expect(of('hold').map((e) => e.micros), `hold of ${t.id}`).toEqual([t.hold_micros]);
    const ended = !(t.status === 'queued' || t.status === 'running');
    if (!ended) {
      expect(of('capture').length + of('release').length, `active task ${t.id} is not settled`).toBe(0);
      continue;
    }
    expect(of('capture').length, `one capture at most for ${t.id}`).toBeLessThanOrEqual(1);
    expect(of('release').length, `one release at most for ${t.id}`).toBeLessThanOrEqual(1);
    const captured = of('capture')[0]?.micros ?? 0;
    const released = of('release')[0]?.micros ?? 0;
    expect(captured + released, `capture + release = hold for ${t.id}`).toBe(t.hold_micros);
    expect([t.charged_micros, t.released_micros]).toEqual([captured, released]);
  }
  return money;
}
