/**
 * How the embedded SQLite store keeps its commits durable without holding the event loop
 * (src/store/database.ts, wal-sync.ts, sqlite-checkpointer.ts), on real files:
 * - under `synchronous: FULL` a write, and a read that sees it, answer only after a WAL fsync that
 *   began after its commit; under NORMAL none is made;
 * - the checkpoint worker copies the WAL into the database file soon after writes, long before
 *   the writer's own automatic checkpoint would;
 * - under steady writes the WAL stays bounded;
 * - closing leaves one self-contained file (the WAL checkpointed and removed), holding every row.
 */
import { existsSync, fsync, statSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { SqliteCheckpointer, type CheckpointOutcome } from '../../src/store/sqlite-checkpointer.ts';
import type { FsyncFunction } from '../../src/store/wal-sync.ts';
import { tempDir } from '../support/temp-dir.ts';
import { walDatabase } from '../support/wal-database.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Opened = { db: Db; file: string; fsyncs: Array<{ began: number; ended: number }>; began: () => number; tick: () => number; hold: () => () => void; problems: string[] };

/** openDatabase on a temp dir, its fsync watched; `hold()` keeps later fsyncs from finishing until the returned release is called. */
function open(synchronous: 'FULL' | 'NORMAL'): Opened {
  const tmp = tempDir('reelay-durability-');
  let clock = 0;
  const fsyncs: Opened['fsyncs'] = [];
  let gate: Promise<void> | null = null;
  let begun = 0;
  const watched: FsyncFunction = (fd, callback) => {
    begun++;
    const began = ++clock;
    const held = gate;
    fsync(fd, (error) => {
      const finish = () => {
        fsyncs.push({ began, ended: ++clock });
        callback(error);
      };
      if (held) void held.then(finish);
      else finish();
    });
  };
  const problems: string[] = [];
  const db = openDatabase({ url: null, dataDir: tmp.dir, sqliteSynchronous: synchronous, sqliteFsync: watched, onStorageProblem: (m) => problems.push(m) });
  // Closing twice is harmless: a test that closed it itself needs no care here.
  cleanups.push(async () => {
    await db.close();
    tmp.remove();
  });
  const hold = () => {
    let release!: () => void;
    gate = new Promise<void>((r) => (release = r));
    return () => {
      gate = null;
      release();
    };
  };
  return { db, file: path.join(tmp.dir, 'reelay.db'), fsyncs, began: () => begun, tick: () => ++clock, hold, problems };
}

const createItems = (o: Opened) => sql`create table items (id integer primary key, body blob not null)`.execute(o.db.kysely);
const insert = (o: Opened, bytes: number) => sql`insert into items (body) values (${Buffer.alloc(bytes, 7)})`.execute(o.db.kysely);
const size = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('durable SQLite commits off the event loop', () => {
  it('under FULL, answers a write only after an fsync that began after its commit, and a read of it only then too', async () => {
    const o = open('FULL');
    await createItems(o);
    const release = o.hold();
    const begunBefore = o.began();
    let first = false;
    const a = insert(o, 100).then(() => (first = true));
    // `a` commits and its fsync begins (held); then `b` commits while that fsync is in flight.
    await vi.waitFor(() => expect(o.began()).toBe(begunBefore + 1));
    const fsyncsBeforeB = o.fsyncs.length;
    let second = false;
    const b = insert(o, 100).then(() => (second = true));
    await sleep(20);
    let counted: unknown = null;
    const reading = sql<{ n: number }>`select count(*) as n from items`.execute(o.db.kysely).then((r) => (counted = r.rows[0]?.n));
    await sleep(20);
    expect([first, second, counted]).toEqual([false, false, null]);
    release();
    await Promise.all([a, b, reading]);
    expect(counted).toBe(2);
    // `b` needed an fsync of its own: the one in flight when it committed could not cover it.
    expect(o.fsyncs.length).toBeGreaterThanOrEqual(fsyncsBeforeB + 2);
    expect(o.problems).toEqual([]);
  });

  it('reports a failed fsync once, fails the write, and refuses every later query', async () => {
    const tmp = tempDir('reelay-durability-eio-');
    const problems: string[] = [];
    let failing = false;
    const fsyncOrFail: FsyncFunction = (fd, callback) =>
      fsync(fd, (error) => callback(failing ? Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }) : error));
    const db = openDatabase({ url: null, dataDir: tmp.dir, sqliteFsync: fsyncOrFail, onStorageProblem: (m) => problems.push(m) });
    cleanups.push(async () => {
      await db.close();
      tmp.remove();
    });
    const o = { db } as Opened;
    await createItems(o);
    await insert(o, 10);
    failing = true;
    await expect(insert(o, 10)).rejects.toThrow('EIO');
    await expect(insert(o, 10)).rejects.toThrow(/refuses every query until Reelay restarts/);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/the disk failed to make a commit durable \(fsync of .*reelay\.db-wal\): every query is refused until Reelay restarts\. EIO/);
    // Reads too, so readiness (`select 1`) fails and traffic goes elsewhere.
    await expect(sql`select 1`.execute(db.kysely)).rejects.toThrow(/refuses every query/);
  });

  it('under NORMAL, makes no fsync of its own', async () => {
    const o = open('NORMAL');
    await createItems(o);
    await Promise.all(Array.from({ length: 20 }, () => insert(o, 100)));
    expect(o.fsyncs).toHaveLength(0);
  });

  it('copies the WAL into the database file soon after writes, well before the writer would checkpoint', async () => {
    const o = open('FULL');
    await createItems(o);
    const before = size(o.file);
    // ~2 MB of rows: about 500 pages, a twentieth of the writer's own checkpoint threshold.
    await Promise.all(Array.from({ length: 500 }, () => insert(o, 4000)));
    // The worker checkpoints ~100 ms after a write; a busy machine may take longer to start it.
    for (let i = 0; i < 200 && size(o.file) < before + 1_500_000; i++) await sleep(50);
    expect(size(o.file) - before).toBeGreaterThan(1_500_000);
  });

  it('keeps the WAL bounded under steady writes, and closes to one file holding every row', async () => {
    const o = open('FULL');
    await createItems(o);
    let largestWal = 0;
    // ~100 MB written in waves, two and a half times the writer's checkpoint threshold.
    for (let wave = 0; wave < 50; wave++) {
      await Promise.all(Array.from({ length: 100 }, () => insert(o, 20_000)));
      largestWal = Math.max(largestWal, size(`${o.file}-wal`));
    }
    expect(largestWal).toBeLessThan(80 * 1024 * 1024);
    await o.db.close();
    expect(existsSync(`${o.file}-wal`)).toBe(false);
    const check = new SqliteDatabase(o.file, { readonly: true });
    try {
      expect(check.prepare('select count(*) as n from items').get()).toEqual({ n: 5000 });
    } finally {
      check.close();
    }
  }, 60_000);
});

describe('the checkpoint worker', () => {
  it('checkpoints once for a burst of writes, and lets go of the file when closed', async () => {
    const { file, db, remove } = walDatabase('reelay-checkpointer-', { autocheckpoint: false, schema: 'create table items (body text not null)' });
    cleanups.push(remove);
    const outcomes: CheckpointOutcome[] = [];
    const checkpointer = new SqliteCheckpointer(file, (outcome) => outcomes.push(outcome));
    const insert = db.prepare('insert into items (body) values (?)');
    for (let i = 0; i < 50; i++) {
      insert.run('x'.repeat(1000));
      checkpointer.wrote();
    }
    for (let i = 0; i < 400 && outcomes.length === 0; i++) await sleep(25);
    await sleep(150);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ ok: true });
    expect(outcomes[0]?.ok && outcomes[0].framesCopied).toBeGreaterThan(10);
    await checkpointer.close();
    // The worker's connection is gone: the writer's close is the last, and removes the WAL.
    db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});
