/**
 * The WAL's fsync off the event loop (src/store/wal-sync.ts), on a real SQLite file and Node's
 * real fsync, watched: every sync() resolves only after an fsync that began after it was called
 * (so it covers the commit before it); syncs called together share one; a failed fsync fails the
 * callers waiting on it, and the next sync tries again.
 */
import { fsync } from 'node:fs';
import type SqliteDatabase from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WalSync, type FsyncFunction } from '../../src/store/wal-sync.ts';
import { walDatabase } from '../support/wal-database.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Watched = { fsync: FsyncFunction; tick: () => number; log: Array<{ fd: number; began: number; ended: number }> };

/** Node's fsync, with each call's start and end on a logical clock shared with the test. */
function watchedFsync(failNext: { count: number } = { count: 0 }): Watched {
  let clock = 0;
  const log: Watched['log'] = [];
  return {
    log,
    tick: () => ++clock,
    fsync: (fd, callback) => {
      const began = ++clock;
      fsync(fd, (error) => {
        log.push({ fd, began, ended: ++clock });
        if (!error && failNext.count > 0) {
          failNext.count--;
          callback(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
          return;
        }
        callback(error);
      });
    },
  };
}

function walFile(): { file: string; db: SqliteDatabase.Database; write: () => void } {
  const { file, db, remove } = walDatabase('reelay-wal-sync-', { synchronous: 'NORMAL', schema: 'create table items (body text not null)' });
  const insert = db.prepare('insert into items (body) values (?)');
  cleanups.push(() => {
    db.close();
    remove();
  });
  return { file, db, write: () => insert.run('x'.repeat(100)) };
}

describe('the WAL sync', () => {
  it('resolves every sync only after an fsync of the WAL that began after the call, sharing fsyncs among calls made together', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 6 }), async (bursts) => {
        const { file, write } = walFile();
        const watched = watchedFsync();
        const wal = new WalSync(file, { fsync: watched.fsync });
        const calls: Array<{ called: number; resolved: number }> = [];
        for (const size of bursts) {
          const burst = Array.from({ length: size }, () => {
            write();
            const called = watched.tick();
            return wal.sync().then(() => calls.push({ called, resolved: watched.tick() }));
          });
          // Half the bursts land while the previous one's fsync is still in flight.
          if (size % 2 === 0) await Promise.all(burst);
        }
        await wal.close();
        await new Promise((r) => setImmediate(r));
        expect(calls).toHaveLength(bursts.reduce((a, b) => a + b, 0));
        // Syncs run one after another, so the first to end is the WAL's (the directory's follows it).
        const walSyncs = watched.log.filter((s) => s.fd === watched.log[0]?.fd);
        for (const call of calls) {
          expect(walSyncs.some((s) => s.began > call.called && s.ended < call.resolved)).toBe(true);
        }
        // The directory once, and at most two WAL fsyncs per burst (one in flight, one after).
        expect(watched.log.length).toBeLessThanOrEqual(1 + 2 * bursts.length);
      }),
      { numRuns: 15 },
    );
  });

  it('fails every sync after a failed fsync, waiting or to come: the disk may have dropped what it could not write', async () => {
    const { file, write } = walFile();
    const failNext = { count: 0 };
    const watched = watchedFsync(failNext);
    const wal = new WalSync(file, { fsync: watched.fsync });
    write();
    await wal.sync();
    write();
    failNext.count = 1;
    const failing = wal.sync();
    // Issued while the failing fsync is in flight: the next fsync could succeed and still lie.
    const following = wal.sync();
    await expect(failing).rejects.toThrow('EIO');
    await expect(following).rejects.toThrow('EIO');
    write();
    await expect(wal.sync()).rejects.toThrow('EIO');
    const fsyncsAfter = watched.log.length;
    await expect(wal.sync()).rejects.toThrow('EIO');
    expect(watched.log.length).toBe(fsyncsAfter);
    await wal.close();
  });

  it('makes the WAL directory entry durable once, with the first sync', async () => {
    const { file, write } = walFile();
    const watched = watchedFsync();
    const wal = new WalSync(file, { fsync: watched.fsync });
    for (let i = 0; i < 3; i++) {
      write();
      await wal.sync();
    }
    await wal.close();
    const descriptors = new Set(watched.log.map((s) => s.fd));
    // One descriptor for the WAL, used three times; one for the directory, used once.
    expect(watched.log).toHaveLength(4);
    expect(descriptors.size).toBe(2);
  });

  it('waits for the sync under way before closing, and refuses syncs after', async () => {
    const { file, write } = walFile();
    const wal = new WalSync(file);
    write();
    let done = false;
    const pending = wal.sync().then(() => (done = true));
    await wal.close();
    expect(done).toBe(true);
    await pending;
    await expect(wal.sync()).rejects.toThrow('closed');
  });
});
