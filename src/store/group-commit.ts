/**
 * Group commit for creates on SQLite. With `synchronous = FULL` every commit waits for an fsync,
 * and one fsync per create caps durable creates at a few thousand a second (3.8k measured against
 * 46k for a bare node:http server; issue 8). Creates that arrive together share one transaction
 * and one fsync: each runs in a savepoint of its own, so a refused or failing create rolls back
 * alone, and every caller's promise settles only after the shared COMMIT (or fails with it).
 * While a group commits, newcomers gather for the next group, so the batch size follows the load
 * and a lone create waits only for the next turn of the event loop.
 *
 * The SQLite driver (sqlite-group-driver.ts) shares commits between any writes, creates included;
 * this stays on top of it for creates because one transaction for a whole batch also spares each
 * create its own lock turn and Kysely transaction: without it, durable creates at 1,000 req/s
 * answered at p50 91 ms instead of 6 ms (bench/create.ts, back to back on the same machine).
 *
 * PostgreSQL has many connections and its own group commit: there each unit is a plain transaction.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DatabaseKind } from './database.ts';
import type { Database } from './schema.ts';

export type TransactionRunner = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

type Unit = { work: (trx: Transaction<Database>) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/** More than this many creates in one transaction would hold the writer lock for long. */
const MAX_GROUP = 256;

export type GroupCommitOptions = {
  maxGroup?: number;
  /** Told the size of every group that committed (tests, metrics). */
  committed?: (size: number) => void;
};

export function createGroupCommit(db: Kysely<Database>, kind: DatabaseKind, options: GroupCommitOptions = {}): TransactionRunner {
  if (kind === 'postgres') return (work) => db.transaction().execute(work);
  const maxGroup = options.maxGroup ?? MAX_GROUP;
  const waiting: Unit[] = [];
  let committing = false;

  async function commitGroup(group: Unit[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      const trx = await db.startTransaction().execute();
      try {
        for (const unit of group) {
          await sql`savepoint unit`.execute(trx);
          let outcome: (typeof outcomes)[number];
          try {
            outcome = { ok: true, value: await unit.work(trx) };
          } catch (error) {
            outcome = { ok: false, error };
            await sql`rollback to savepoint unit`.execute(trx);
          }
          await sql`release savepoint unit`.execute(trx);
          outcomes.push(outcome);
        }
        await trx.commit().execute();
      } catch (e) {
        await trx.rollback().execute().catch(() => undefined);
        throw e;
      }
    } catch (e) {
      // Nothing of the group is stored: every caller hears the failure.
      for (const unit of group) unit.reject(e);
      return;
    }
    // After the commit, and outside its try: a failing observer must not turn a commit into a failure.
    try {
      options.committed?.(group.length);
    } catch {
      // An observer's own problem.
    }
    group.forEach((unit, i) => {
      const o = outcomes[i];
      if (o?.ok) unit.resolve(o.value);
      else unit.reject(o?.error);
    });
  }

  function flush(): void {
    if (committing || waiting.length === 0) return;
    committing = true;
    const group = waiting.splice(0, maxGroup);
    void commitGroup(group).finally(() => {
      committing = false;
      flush();
    });
  }

  return <T>(work: (trx: Transaction<Database>) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ work, resolve: resolve as (v: unknown) => void, reject });
      // Let the requests already parsed in this turn of the event loop join the group.
      if (waiting.length === 1 && !committing) setImmediate(flush);
    });
}
