/**
 * What every instance shares about each upstream channel (issue 7): its health (cool-down,
 * repeat count, last success, recent errors) and its request pacing (the next free send slot).
 * One row per channel. Health changes run under the row's lock, so two instances recording
 * errors at once both count; pacing is one atomic UPDATE per upstream request, timed by the
 * database's clock on PostgreSQL so that instances whose clocks differ still space their calls.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from './database.ts';
import type { Database } from './schema.ts';

export type StoredChannelError = { at: number; errorClass: string; code: string; message: string };

export type ChannelHealthRecord = {
  unhealthyUntil: number | null;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  /** Newest first. */
  recentErrors: StoredChannelError[];
};

export type ChannelStates = {
  /**
   * Makes sure each channel has a row. A channel whose `fingerprint` (its address and credentials)
   * differs from the stored one was reconfigured: its cool-down and repeat count start afresh.
   */
  register(channels: ReadonlyArray<{ name: string; fingerprint: string }>): Promise<void>;
  /** The stored health of `names` (all channels when absent). */
  load(names?: readonly string[]): Promise<Map<string, ChannelHealthRecord>>;
  /** Applies `change` to the stored health under the row's lock; returns what was stored. */
  change(name: string, change: (r: ChannelHealthRecord) => ChannelHealthRecord): Promise<ChannelHealthRecord>;
  /**
   * Books `name`'s next send slot, `gapMs` (rounded up to whole ms) after the last one or now,
   * whichever is later: when it is (ms epoch, by the database's clock on PostgreSQL) and how long to wait for it.
   */
  nextRequestSlot(name: string, gapMs: number): Promise<{ at: number; waitMs: number }>;
};

type Row = { unhealthy_until: number | null; consecutive_failures: number; last_success_at: number | null; recent_errors: string };

function parseErrors(text: string): StoredChannelError[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as StoredChannelError[]) : [];
  } catch {
    return [];
  }
}

const toRecord = (r: Row): ChannelHealthRecord => ({
  unhealthyUntil: r.unhealthy_until,
  consecutiveFailures: r.consecutive_failures,
  lastSuccessAt: r.last_success_at,
  recentErrors: parseErrors(r.recent_errors),
});

const HEALTH_COLUMNS = ['unhealthy_until', 'consecutive_failures', 'last_success_at', 'recent_errors'] as const;

/** `changed` runs in the transaction of every health change (PostgreSQL: tells the other instances). */
export function createChannelStates(db: Kysely<Database>, kind: DatabaseKind, changed?: (trx: Kysely<Database>, name: string) => Promise<void>): ChannelStates {
  const insertMissing = (trx: Kysely<Database>, name: string, fingerprint = '') =>
    trx
      .insertInto('channel_state')
      .values({ name, fingerprint, next_request_at: 0, unhealthy_until: null, consecutive_failures: 0, last_success_at: null, recent_errors: '[]' })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();

  const sqliteBooking = (name: string, gap: number, now: number) =>
    db
      .updateTable('channel_state')
      .set({ next_request_at: sql<number>`max(next_request_at, ${now}) + ${gap}` })
      .where('name', '=', name)
      .returning([sql<number>`next_request_at - ${gap}`.as('at'), sql<number>`${now}`.as('now')])
      .executeTakeFirst();

  return {
    async register(channels) {
      for (const c of channels) {
        await db.transaction().execute(async (trx) => {
          await insertMissing(trx, c.name, c.fingerprint);
          await trx
            .updateTable('channel_state')
            .set({ fingerprint: c.fingerprint, unhealthy_until: null, consecutive_failures: 0 })
            .where('name', '=', c.name)
            .where('fingerprint', '<>', c.fingerprint)
            .execute();
        });
      }
    },

    async load(names) {
      let q = db.selectFrom('channel_state').select(['name', ...HEALTH_COLUMNS]);
      if (names) q = q.where('name', 'in', names.length > 0 ? [...names] : ['']);
      const rows = await q.execute();
      return new Map(rows.map((r) => [r.name, toRecord(r)]));
    },

    change(name, change) {
      return db.transaction().execute(async (trx) => {
        await insertMissing(trx, name);
        let q = trx.selectFrom('channel_state').select(HEALTH_COLUMNS).where('name', '=', name);
        if (kind === 'postgres') q = q.forUpdate();
        const next = change(toRecord(await q.executeTakeFirstOrThrow()));
        await trx
          .updateTable('channel_state')
          .set({
            unhealthy_until: next.unhealthyUntil,
            consecutive_failures: next.consecutiveFailures,
            last_success_at: next.lastSuccessAt,
            recent_errors: JSON.stringify(next.recentErrors),
          })
          .where('name', '=', name)
          .execute();
        if (changed) await changed(trx, name);
        return next;
      });
    },

    async nextRequestSlot(name, gapMs) {
      const gap = Math.max(1, Math.ceil(gapMs));
      for (let attempt = 0; attempt < 2; attempt++) {
        const row =
          kind === 'postgres'
            ? (
                await sql<{ at: number | string; now: number | string }>`
                  with t as (select (extract(epoch from clock_timestamp()) * 1000)::bigint as now)
                  update channel_state c set next_request_at = greatest(c.next_request_at, t.now) + ${gap}
                  from t where c.name = ${name}
                  returning c.next_request_at - ${gap} as at, t.now as now`.execute(db)
              ).rows[0]
            : await sqliteBooking(name, gap, Date.now());
        if (row) return { at: Number(row.at), waitMs: Math.max(0, Number(row.at) - Number(row.now)) };
        await insertMissing(db, name);
      }
      const now = Date.now();
      return { at: now, waitMs: 0 };
    },
  };
}
