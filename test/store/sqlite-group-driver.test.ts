/**
 * The SQLite driver's group commit (src/store/sqlite-group-driver.ts), on a real file: writes
 * issued together share one COMMIT; each caller hears "done" only once its write is durable (a
 * second connection sees it); a rolled-back transaction or a failed statement undoes only itself;
 * reads outside transactions never see a group still open; and, for random mixes of concurrent
 * work, the file ends holding exactly what the callers were told succeeded.
 */
import SqliteDatabase from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, sql, type Generated } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupCommitSqliteDialect, type StatementSource } from '../../src/store/sqlite-group-driver.ts';
import { walDatabase } from '../support/wal-database.ts';

type Db = { items: { id: Generated<number>; name: string } };

type Opened = { db: Kysely<Db>; commits: () => number; file: string; outside: SqliteDatabase.Database };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A Kysely over the group-commit driver, counting the COMMITs it sends, and an outside connection. */
function open(options: { failFirstCommit?: boolean; afterCommit?: () => Promise<void> | undefined } = {}): Opened {
  const tmp = walDatabase('reelay-group-driver-', { schema: 'create table items (id integer primary key, name text not null unique)' });
  const { file, db: writerFile } = tmp;
  const readerFile = new SqliteDatabase(file);
  let commits = 0;
  let failCommit = options.failFirstCommit ?? false;
  const source = (d: SqliteDatabase.Database, counting: boolean): StatementSource => ({
    prepare(text) {
      if (counting && text === 'commit' && failCommit) {
        failCommit = false;
        throw new Error('simulated COMMIT failure');
      }
      if (counting && text === 'commit') commits++;
      return d.prepare(text);
    },
    close: () => d.close(),
    get inTransaction() {
      return d.inTransaction;
    },
  });
  const db = new Kysely<Db>({
    dialect: groupCommitSqliteDialect(source(writerFile, true), source(readerFile, false), options.afterCommit ? { afterCommit: options.afterCommit } : {}),
  });
  const outside = new SqliteDatabase(file, { readonly: true });
  cleanups.push(async () => {
    outside.close();
    await db.destroy();
    tmp.remove();
  });
  return { db, commits: () => commits, file, outside };
}

const namesOutside = (o: Opened): string[] => (o.outside.prepare('select name from items order by name').all() as Array<{ name: string }>).map((r) => r.name);
const insert = (db: Kysely<Db>, name: string) => db.insertInto('items').values({ name }).execute();

describe('the SQLite group-commit driver', () => {
  it('commits writes issued together once, and each caller hears of its write only once another connection sees it', async () => {
    const o = open();
    const names = Array.from({ length: 50 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    const seenAtResolve: boolean[] = [];
    await Promise.all(
      names.map(async (name) => {
        await insert(o.db, name);
        seenAtResolve.push(namesOutside(o).includes(name));
      }),
    );
    expect(seenAtResolve).toEqual(names.map(() => true));
    expect(o.commits()).toBe(1);
    expect(namesOutside(o)).toEqual(names);
  });

  it('commits 200 concurrent transactions in a few shared commits, each visible to another connection when it settles', async () => {
    const o = open();
    const seen = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        o.db
          .transaction()
          .execute((trx) => insert(trx, `t${i}`))
          .then(() => namesOutside(o).includes(`t${i}`)),
      ),
    );
    expect(seen).toEqual(Array(200).fill(true));
    // Every transaction asked in the same turn of the event loop: far fewer commits than units.
    expect(o.commits()).toBeLessThanOrEqual(2);
  });

  it('answers one write alone in its own commit, in the next turn of the event loop', async () => {
    const o = open();
    await insert(o.db, 'a');
    await insert(o.db, 'b');
    expect(o.commits()).toBe(2);
    expect(namesOutside(o)).toEqual(['a', 'b']);
  });

  /** A driver whose afterCommit promises the test settles by hand, in order. */
  function openGated(): Opened & { pending: Array<{ resolve: () => void; reject: (e: Error) => void }> } {
    const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
    return { ...open({ afterCommit: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })) }), pending };
  }
  const turn = () => new Promise((r) => setTimeout(r, 20));
  const selectNames = (db: Kysely<Db>) => db.selectFrom('items').select('name').orderBy('name').execute();

  it('settles a group only once its afterCommit promise does, and waits for it before closing', async () => {
    const o = openGated();
    let settled = 0;
    const first = Promise.all([insert(o.db, 'a'), o.db.transaction().execute((trx) => insert(trx, 'b'))]).then(() => settled++);
    await vi.waitFor(() => expect(o.pending).toHaveLength(1));
    expect(settled).toBe(0);
    o.pending[0]?.resolve();
    await first;
    expect(settled).toBe(1);

    // A write committed but not yet durable when the close begins: the close waits for it.
    const last = insert(o.db, 'e');
    await vi.waitFor(() => expect(o.pending).toHaveLength(2));
    let closed = false;
    const closing = o.db.destroy().then(() => (closed = true));
    await turn();
    expect(closed).toBe(false);
    o.pending[1]?.resolve();
    await closing;
    await last;
    expect(closed).toBe(true);
  });

  it('answers a read outside a transaction only once what it could see is durable', async () => {
    const o = openGated();
    const written = Promise.all([insert(o.db, 'a'), insert(o.db, 'b')]);
    await vi.waitFor(() => expect(o.pending).toHaveLength(1));
    o.pending[0]?.resolve();
    await written;
    // Nothing in flight: a read answers at once.
    expect((await selectNames(o.db)).map((r) => r.name)).toEqual(['a', 'b']);
    const more = insert(o.db, 'c');
    await vi.waitFor(() => expect(o.pending).toHaveLength(2));
    // Committed, so the reader sees it, but not yet durable: the read waits.
    let read: string[] | null = null;
    const reading = selectNames(o.db).then((rows) => (read = rows.map((r) => r.name)));
    await turn();
    expect(read).toBeNull();
    o.pending[1]?.resolve();
    await reading;
    await more;
    expect(read).toEqual(['a', 'b', 'c']);
  });

  it('fails the units of a group whose afterCommit fails, rolls back the group still open, and refuses every later query', async () => {
    const o = openGated();
    const lost = Promise.allSettled([insert(o.db, 'c'), insert(o.db, 'd')]);
    await vi.waitFor(() => expect(o.pending).toHaveLength(1));
    const reading = selectNames(o.db).then(
      () => 'answered',
      (e: unknown) => String(e),
    );
    // A transaction holding the next group open while the failure becomes known.
    let finish!: () => void;
    const holding = new Promise<void>((r) => (finish = r));
    const open = o.db.transaction().execute(async (trx) => {
      await insert(trx, 'e');
      await holding;
    });
    await turn();
    o.pending[0]?.reject(new Error('EIO: i/o error, fsync'));
    expect((await lost).map((r) => r.status === 'rejected' && String(r.reason))).toEqual(['Error: EIO: i/o error, fsync', 'Error: EIO: i/o error, fsync']);
    // A read that saw the lost group fails with it.
    expect(await reading).toBe('Error: EIO: i/o error, fsync');
    finish();
    await expect(open).rejects.toThrow(/refuses every query until Reelay restarts.*EIO/);
    expect(namesOutside(o)).not.toContain('e');
    await expect(insert(o.db, 'f')).rejects.toThrow(/refuses every query until Reelay restarts.*EIO/);
    await expect(o.db.transaction().execute((trx) => insert(trx, 'g'))).rejects.toThrow(/refuses every query/);
    await expect(selectNames(o.db)).rejects.toThrow(/refuses every query/);
    expect(o.pending).toHaveLength(1);
  });

  it('rolls back a failed transaction alone; the rest of its group commits', async () => {
    const o = open();
    const outcomes = await Promise.allSettled([
      insert(o.db, 'before'),
      o.db.transaction().execute(async (trx) => {
        await insert(trx, 'doomed-1');
        await insert(trx, 'doomed-2');
        throw new Error('changed my mind');
      }),
      o.db.transaction().execute(async (trx) => {
        await insert(trx, 'kept-1');
        await insert(trx, 'kept-2');
      }),
      insert(o.db, 'after'),
    ]);
    expect(outcomes.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(namesOutside(o)).toEqual(['after', 'before', 'kept-1', 'kept-2']);
    expect(o.commits()).toBe(1);
  });

  it('fails a statement that breaks a constraint alone, and only after the group it ran in has committed', async () => {
    const o = open();
    await insert(o.db, 'taken');
    const first = insert(o.db, 'winner');
    const duplicate = insert(o.db, 'winner').then(
      () => 'inserted',
      (e: Error) => {
        // What won is already durable when the loser hears it lost: a retry's read finds it.
        expect(namesOutside(o)).toContain('winner');
        return e.message;
      },
    );
    await first;
    expect(await duplicate).toMatch(/UNIQUE constraint failed: items.name/);
    expect(namesOutside(o)).toEqual(['taken', 'winner']);
  });

  it('reads outside a transaction see committed data only, never a group still open', async () => {
    const o = open();
    await insert(o.db, 'committed');
    let readInside: string[] = [];
    let readOutside: string[] = [];
    await o.db.transaction().execute(async (trx) => {
      await insert(trx, 'pending');
      readInside = (await trx.selectFrom('items').select('name').orderBy('name').execute()).map((r) => r.name);
      readOutside = (await o.db.selectFrom('items').select('name').orderBy('name').execute()).map((r) => r.name);
    });
    expect(readInside).toEqual(['committed', 'pending']);
    expect(readOutside).toEqual(['committed']);
    expect((await o.db.selectFrom('items').select('name').orderBy('name').execute()).map((r) => r.name)).toEqual(['committed', 'pending']);
  });

  it('keeps a transaction whole: no other write lands inside it while it awaits', async () => {
    const o = open();
    const order: string[] = [];
    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    const trx = o.db.transaction().execute(async (t) => {
      await insert(t, 'trx-1');
      order.push('trx-1');
      await paused;
      await insert(t, 'trx-2');
      order.push('trx-2');
      throw new Error('roll back');
    });
    await new Promise((r) => setTimeout(r, 5));
    const alone = insert(o.db, 'alone').then(() => order.push('alone'));
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['trx-1']);
    resume();
    await expect(trx).rejects.toThrow('roll back');
    await alone;
    expect(order).toEqual(['trx-1', 'trx-2', 'alone']);
    expect(namesOutside(o)).toEqual(['alone']);
  });

  it('lets a transaction in progress finish and commits it before the database closes', async () => {
    const o = open();
    const trx = o.db.transaction().execute(async (t) => {
      await insert(t, 'last');
      await new Promise((r) => setTimeout(r, 20));
    });
    await new Promise((r) => setTimeout(r, 5));
    await o.db.destroy();
    await trx;
    expect(namesOutside(o)).toEqual(['last']);
  });

  it('runs Kysely savepoints inside a controlled transaction', async () => {
    const o = open();
    const trx = await o.db.startTransaction().execute();
    await insert(trx, 'outer');
    const inner = await trx.savepoint('inner').execute();
    await insert(inner, 'inner');
    await inner.rollbackToSavepoint('inner').execute();
    await trx.commit().execute();
    expect(namesOutside(o)).toEqual(['outer']);
  });

  it('fails every unit of a group whose COMMIT fails, and a late rollback of one of them leaves the next unit whole', async () => {
    const o = open({ failFirstCommit: true });
    let next: Promise<string> = Promise.resolve('not started');
    const trx = await o.db.startTransaction().execute();
    await insert(trx, 'A');
    setImmediate(() => {
      next = o.db
        .transaction()
        .execute(async (t) => {
          await insert(t, 'B1');
          await new Promise((r) => setTimeout(r, 5));
          await insert(t, 'B2');
        })
        .then(
          () => 'committed',
          (e: Error) => e.message,
        );
    });
    await expect(trx.commit().execute()).rejects.toThrow('simulated COMMIT failure');
    // As a caller would after a failed commit: roll back, a moment later.
    await new Promise((r) => setTimeout(r, 1));
    await trx.rollback().execute();
    expect(await next).toBe('committed');
    expect(namesOutside(o)).toEqual(['B1', 'B2']);
  });

  it('ends with exactly what callers were told succeeded, for random mixes of concurrent writes and transactions', async () => {
    type Op = { kind: 'write'; name: number } | { kind: 'trx'; names: number[]; fail: boolean; yields: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), name: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('trx' as const), names: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }), fail: fc.boolean(), yields: fc.integer({ min: 0, max: 2 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 6 }), { minLength: 1, maxLength: 6 }), async (flows) => {
        const o = open();
        const told: string[] = [];
        // Each flow runs its operations in order; the flows run side by side.
        await Promise.all(
          flows.map(async (ops, f) => {
            for (const [i, o2] of ops.entries()) {
              if (o2.kind === 'write') {
                const name = `w${o2.name}`;
                await insert(o.db, name).then(
                  () => told.push(name),
                  () => undefined,
                );
              } else {
                const names = o2.names.map((n) => `t${f}-${i}-${n}`);
                await o.db
                  .transaction()
                  .execute(async (trx) => {
                    for (const name of names) {
                      await sql`insert or ignore into items (name) values (${name})`.execute(trx);
                      for (let y = 0; y < o2.yields; y++) await new Promise((r) => setImmediate(r));
                    }
                    if (o2.fail) throw new Error('fail');
                  })
                  .then(
                    () => told.push(...new Set(names)),
                    () => undefined,
                  );
              }
            }
          }),
        );
        expect(namesOutside(o)).toEqual([...told].sort());
      }),
      { numRuns: 60 },
    );
  });
});
