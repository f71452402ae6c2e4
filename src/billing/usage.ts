/**
 * The usage report: the ledger summed per key, model, tier and UTC day, for `GET /admin/usage`
 * and `reelay usage`. A row counts each ledger entry on the day it was written: a task's hold on
 * the day it was created, its capture and release on the day it ended (both in one transaction,
 * so they always fall in the same row).
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../store/schema.ts';
import { isStorableText } from '../store/text-guards.ts';
import { toCredits } from './credits.ts';

export const MS_PER_DAY = 86_400_000;

/** Ledger rows of `keyId` (every key when absent) written in [from, to), epoch ms. */
export type UsageFilter = { keyId?: string; from: number; to: number };

export type UsageTotals = {
  credits_held: number;
  credits_captured: number;
  credits_released: number;
  /** Hold rows: tasks created. */
  tasks_created: number;
  tasks_completed: number;
  tasks_failed: number;
  tasks_canceled: number;
  /** Tasks given money back because they failed or were canceled. */
  tasks_refunded: number;
};

export type UsageRow = {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  key_id: string;
  /** null for the master key (it has no api_keys row). */
  key_name: string | null;
  model: string;
  tier: string;
} & UsageTotals;

export type UsageReport = { rows: UsageRow[]; totals: UsageTotals };
export type UsageReporter = (filter: UsageFilter) => Promise<UsageReport>;

// PostgreSQL answers sum(bigint) as numeric, which pg hands over as a string.
const whole = z.coerce.number().int().nonnegative();
const groupRow = z.object({
  day: whole,
  key_id: z.string(),
  key_name: z.string().nullable(),
  model: z.string(),
  tier: z.string(),
  held: whole,
  captured: whole,
  released: whole,
  created: whole,
  completed: whole,
  failed: whole,
  canceled: whole,
  refunded: whole,
});
type GroupRow = z.infer<typeof groupRow>;
type Sums = Omit<GroupRow, 'day' | 'key_id' | 'key_name' | 'model' | 'tier'>;

const SUM_FIELDS = ['held', 'captured', 'released', 'created', 'completed', 'failed', 'canceled', 'refunded'] as const satisfies readonly (keyof Sums)[];

export function createUsageReport(db: Kysely<Database>): UsageReporter {
  // Integer division on both back ends (bigint on PostgreSQL, integer on SQLite). The divisor is
  // a literal, not a parameter: PostgreSQL matches the GROUP BY expression to the selected one
  // by its text, and two parameters ($1, $2) would not match.
  const day = sql<number>`ledger.created_at / ${sql.lit(MS_PER_DAY)}`;
  const microsOf = (entry: 'hold' | 'capture' | 'release') => sql<string>`sum(case when ledger.entry = ${entry} then ledger.micros else 0 end)`;
  const tasksEnded = (outcome: string) =>
    sql<string>`count(distinct case when ledger.entry <> 'hold' and ledger.outcome = ${outcome} then ledger.task_id end)`;

  return async (filter) => {
    if (filter.keyId !== undefined && !isStorableText(filter.keyId)) return { rows: [], totals: totalsOf([]) };
    let query = db
      .selectFrom('ledger')
      .leftJoin('api_keys', 'api_keys.id', 'ledger.key_id')
      .select([
        day.as('day'),
        'ledger.key_id as key_id',
        'api_keys.name as key_name',
        'ledger.model as model',
        'ledger.tier as tier',
        microsOf('hold').as('held'),
        microsOf('capture').as('captured'),
        microsOf('release').as('released'),
        sql<string>`sum(case when ledger.entry = 'hold' then 1 else 0 end)`.as('created'),
        tasksEnded('completed').as('completed'),
        tasksEnded('failed').as('failed'),
        tasksEnded('canceled').as('canceled'),
        sql<string>`count(distinct case when ledger.entry = 'release' and ledger.micros > 0 and ledger.outcome in ('failed', 'canceled') then ledger.task_id end)`.as('refunded'),
      ])
      .where('ledger.created_at', '>=', filter.from)
      .where('ledger.created_at', '<', filter.to)
      .groupBy([day, 'ledger.key_id', 'api_keys.name', 'ledger.model', 'ledger.tier']);
    if (filter.keyId !== undefined) query = query.where('ledger.key_id', '=', filter.keyId);
    const groups = (await query.execute()).map((r) => groupRow.parse(r));
    // Sorted here, not in SQL: PostgreSQL orders text by the database's collation, SQLite by
    // bytes, and the report must read the same on both.
    groups.sort((a, b) => a.day - b.day || compare(a.key_id, b.key_id) || compare(a.model, b.model) || compare(a.tier, b.tier));
    return { rows: groups.map(toRow), totals: totalsOf(groups) };
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toRow(g: GroupRow): UsageRow {
  return { day: new Date(g.day * MS_PER_DAY).toISOString().slice(0, 10), key_id: g.key_id, key_name: g.key_name, model: g.model, tier: g.tier, ...toTotals(g) };
}

/**
 * Sums over all groups, in micro-credits before the conversion. Adding the groups' distinct task
 * counts is exact: a task's rows share its key, model and tier, and its capture and release their day.
 */
function totalsOf(groups: GroupRow[]): UsageTotals {
  const sums: Sums = { held: 0, captured: 0, released: 0, created: 0, completed: 0, failed: 0, canceled: 0, refunded: 0 };
  for (const g of groups) for (const f of SUM_FIELDS) sums[f] += g[f];
  return toTotals(sums);
}

function toTotals(s: Sums): UsageTotals {
  return {
    credits_held: toCredits(s.held),
    credits_captured: toCredits(s.captured),
    credits_released: toCredits(s.released),
    tasks_created: s.created,
    tasks_completed: s.completed,
    tasks_failed: s.failed,
    tasks_canceled: s.canceled,
    tasks_refunded: s.refunded,
  };
}
