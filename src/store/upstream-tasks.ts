/**
 * The writes only remote tasks make: reserving a channel slot before a submit, recording the
 * upstream's id, scheduling the next status check, and callback nudges. Every worker write is a
 * compare-and-swap on status and lease token (see task-transition.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { TaskKind, TaskStatus } from '../domain/task.ts';
import type { DatabaseKind } from './database.ts';
import type { Database } from './schema.ts';
import { LOCAL_PROVIDER } from './task-repository.ts';
import type { TaskOutbox } from './task-outbox.ts';
import { leasedTransition } from './task-transition.ts';
import { isStorableText } from './text-guards.ts';

/** `provider` of a task that waits to be routed to a channel. */
export const ROUTE_PENDING = 'auto';

export type UpstreamTasks = ReturnType<typeof createUpstreamTasks>;

/** `now` when callbacks arrived since the claim saw `seenNudges`, else `dueAt` (casts: PostgreSQL types CASE parameters as text). */
function dueUnlessNudged(seenNudges: number, now: number, dueAt: number) {
  return sql<number>`case when nudges > cast(${seenNudges} as integer) then cast(${now} as bigint) else cast(${dueAt} as bigint) end`;
}

/** A callback body is read by one check: dropped at the hand-back, unless a newer callback came in meanwhile. */
function callbackBodyUnlessNudged(seenNudges: number) {
  return sql<string | null>`case when nudges > cast(${seenNudges} as integer) then callback_body else null end`;
}

/** The largest callback body kept for the next check, in UTF-16 units (a Kling callback is about 1 KiB). */
export const MAX_CALLBACK_BODY = 64 * 1024;

/** `outbox` queues the client's delivery when a task starts running (absent: none are queued). */
export function createUpstreamTasks(db: Kysely<Database>, kind: DatabaseKind, outbox?: TaskOutbox) {
  /** Active tasks (queued or running) that hold a slot of `channel`. */
  const activeOn = (trx: Kysely<Database>, channel: string) =>
    trx.selectFrom('tasks').select((eb) => eb.fn.countAll<string | number>().as('n')).where('provider', '=', channel).where('due_at', 'is not', null);

  return {
    /**
     * Takes one of `channel`'s `max` slots for a queued task and marks that a submit begins, in one
     * step; false when the channel is full (or the lease was lost). On PostgreSQL an advisory lock
     * per channel serializes the count-and-take across instances; SQLite has one writer anyway.
     */
    async reserve(id: string, token: string, channel: string, max: number, now: number): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        if (kind === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`reelay-channel:${channel}`}))`.execute(trx);
        const r = await trx
          .updateTable('tasks')
          .set({ provider: channel, submit_started_at: now, updated_at: now })
          .where('id', '=', id)
          .where('status', '=', 'queued')
          .where('lease_token', '=', token)
          .where((eb) => eb(activeOn(trx, channel), '<', max))
          .executeTakeFirst();
        return r.numUpdatedRows > 0n;
      });
    },

    /** Gives a slot back after a definite "not accepted" (throttled, channel down): routed afresh next time. */
    release(id: string, token: string, now: number): Promise<boolean> {
      return leasedTransition(db, id, token, 'queued', { provider: ROUTE_PENDING, submit_started_at: null, updated_at: now });
    },

    /**
     * The upstream accepted the task: remember its id; the first check is due at `checkAt`, or at
     * once if a callback came in after the claim (`seenNudges` is the count read at claim time).
     */
    accepted(id: string, token: string, upstreamId: string, change: { checkAt: number; seenNudges: number }, now: number): Promise<boolean> {
      return leasedTransition(db, id, token, 'queued', {
        upstream_id: upstreamId,
        due_at: dueUnlessNudged(change.seenNudges, now, change.checkAt),
        lease_token: null,
        attempts: 0,
        checks: 0,
        updated_at: now,
      });
    },

    /** Sends the task to the local renderer (a model that no channel serves any more). */
    toLocal(id: string, token: string, now: number): Promise<boolean> {
      return leasedTransition(db, id, token, 'queued', { provider: LOCAL_PROVIDER, due_at: now, lease_token: null, attempts: 0, updated_at: now });
    },

    /** The upstream started rendering: queued -> running. */
    running(id: string, token: string, progress: number, now: number): Promise<boolean> {
      return leasedTransition(db, id, token, 'queued', { status: 'running', progress, started_at: now, updated_at: now }, { outbox });
    },

    /**
     * Hands the lease back until `dueAt`, counting one more check. A callback that came in while
     * the task was leased (more nudges than `seenNudges`, read at claim time) makes it due at once.
     */
    async scheduleCheck(
      id: string,
      token: string,
      from: TaskStatus,
      change: { dueAt: number; seenNudges: number; progress?: number; mirrorFailed?: boolean },
      now: number,
    ): Promise<boolean> {
      return leasedTransition(db, id, token, from, {
        due_at: dueUnlessNudged(change.seenNudges, now, change.dueAt),
        lease_token: null,
        attempts: 0,
        checks: sql<number>`checks + 1`,
        callback_body: callbackBodyUnlessNudged(change.seenNudges),
        ...(change.mirrorFailed ? { mirror_failures: sql<number>`mirror_failures + 1` } : {}),
        ...(change.progress !== undefined ? { progress: change.progress } : {}),
        updated_at: now,
      });
    },

    /**
     * An upstream called back about the task: check it now. A leased task keeps its lease (its
     * worker may be checking already); the nudge makes its hand-back due at once. The body is kept
     * for that check (the last one wins). False when the task is finished or unknown.
     */
    async nudge(id: string, now: number, body: string | null = null): Promise<boolean> {
      const r = await db
        .updateTable('tasks')
        .set({
          nudges: sql<number>`nudges + 1`,
          due_at: sql<number>`case when lease_token is null then cast(${now} as bigint) else due_at end`,
          callback_body: body !== null && body.length <= MAX_CALLBACK_BODY && isStorableText(body) ? body : null,
        })
        .where('id', '=', id)
        .where('due_at', 'is not', null)
        .where('provider', '<>', LOCAL_PROVIDER)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** What a callback is weighed against before it wakes the task (engine/callback-news.ts); null when unknown. */
    async callbackContext(id: string): Promise<{ status: TaskStatus; provider: string; upstreamId: string | null; kind: TaskKind } | null> {
      const row = await db.selectFrom('tasks').select(['status', 'provider', 'upstream_id', 'kind']).where('id', '=', id).executeTakeFirst();
      return row ? { status: row.status as TaskStatus, provider: row.provider, upstreamId: row.upstream_id, kind: row.kind as TaskKind } : null;
    },

    /** The body of the task's last callback, if its check has not read it yet. */
    async callbackBody(id: string): Promise<string | null> {
      const row = await db.selectFrom('tasks').select('callback_body').where('id', '=', id).executeTakeFirst();
      return row?.callback_body ?? null;
    },

    /** Active tasks per provider (channel name): the in-flight counts. */
    async activeByProvider(): Promise<Map<string, number>> {
      const rows = await db
        .selectFrom('tasks')
        .select(['provider', (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('due_at', 'is not', null)
        .groupBy('provider')
        .execute();
      return new Map(rows.map((r) => [r.provider, Number(r.n)]));
    },
  };
}
