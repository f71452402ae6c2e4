/**
 * Group commit (src/store/group-commit.ts) on a real SQLite file: creates that arrive together
 * share one transaction, each settles only once that transaction has committed (a second
 * connection already sees its row), and one that fails rolls back alone. On PostgreSQL each unit
 * is its own transaction.
 */
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { createGroupCommit } from '../../src/store/group-commit.ts';
import { migrateToLatest } from '../../src/store/migrations.ts';
import { backends } from '../support/databases.ts';
import { tempDir } from '../support/temp-dir.ts';

const row = (name: string) => ({ name, fingerprint: '', next_request_at: 0, unhealthy_until: null, consecutive_failures: 0, last_success_at: null, recent_errors: '[]' });

describe('group commit on SQLite', () => {
  const tmp = tempDir('reelay-group-commit-');
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  async function open(): Promise<Db> {
    db = openDatabase({ url: null, dataDir: tmp.dir });
    await migrateToLatest(db);
    await db.kysely.deleteFrom('channel_state').execute();
    return db;
  }

  it('commits 200 concurrent units in a few shared transactions, each visible to another connection when it settles', async () => {
    const d = await open();
    const groups: number[] = [];
    const run = createGroupCommit(d.kysely, d.kind, { committed: (n) => groups.push(n) });
    const reader = new SqliteDatabase(path.join(tmp.dir, 'reelay.db'), { readonly: true });
    const visible = reader.prepare('select count(*) as n from channel_state where name = ?');
    const seen = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        run((trx) => trx.insertInto('channel_state').values(row(`c${i}`)).execute()).then(() => (visible.get(`c${i}`) as { n: number }).n),
      ),
    );
    reader.close();
    expect(seen).toEqual(Array(200).fill(1));
    expect(groups.reduce((a, b) => a + b, 0)).toBe(200);
    // Every unit asked in the same turn of the event loop: far fewer commits than units.
    expect(groups.length).toBeLessThanOrEqual(2);
  });

  it('rolls back only the units that fail, and tells each caller its own outcome', async () => {
    const d = await open();
    const run = createGroupCommit(d.kysely, d.kind);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        run(async (trx) => {
          await trx.insertInto('channel_state').values(row(`u${i}`)).execute();
          if (i % 7 === 3) throw new Error(`unit ${i} refused`);
          return i;
        }),
      ),
    );
    results.forEach((r, i) => {
      if (i % 7 === 3) expect(r).toEqual({ status: 'rejected', reason: new Error(`unit ${i} refused`) });
      else expect(r).toEqual({ status: 'fulfilled', value: i });
    });
    const names = (await d.kysely.selectFrom('channel_state').select('name').execute()).map((r) => r.name).sort();
    expect(names).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 7 !== 3).map((i) => `u${i}`).sort());
  });

  it('keeps a unique violation inside its own unit: the first writer wins, the group still commits', async () => {
    const d = await open();
    const run = createGroupCommit(d.kysely, d.kind);
    const results = await Promise.allSettled([
      run((trx) => trx.insertInto('channel_state').values(row('same')).execute()),
      run((trx) => trx.insertInto('channel_state').values(row('same')).execute()),
      run((trx) => trx.insertInto('channel_state').values(row('other')).execute()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await d.kysely.selectFrom('channel_state').select('name').orderBy('name').execute()).map((r) => r.name)).toEqual(['other', 'same']);
  });

  it('settles every unit by its own outcome even when the commit observer throws', async () => {
    const d = await open();
    const run = createGroupCommit(d.kysely, d.kind, {
      committed: () => {
        throw new Error('observer broke');
      },
    });
    const results = await Promise.allSettled([run((trx) => trx.insertInto('channel_state').values(row('kept')).execute().then(() => 'ok'))]);
    expect(results).toEqual([{ status: 'fulfilled', value: 'ok' }]);
    expect((await d.kysely.selectFrom('channel_state').select('name').execute()).map((r) => r.name)).toEqual(['kept']);
  });

  it('caps a group at maxGroup and runs newcomers in the next one', async () => {
    const d = await open();
    const groups: number[] = [];
    const run = createGroupCommit(d.kysely, d.kind, { maxGroup: 16, committed: (n) => groups.push(n) });
    await Promise.all(Array.from({ length: 50 }, (_, i) => run((trx) => trx.insertInto('channel_state').values(row(`m${i}`)).execute())));
    expect(groups).toEqual([16, 16, 16, 2]);
  });
});

describe.each(backends.filter((b) => b.name === 'postgres'))('group commit on $name', (backend) => {
  it('runs each unit in a transaction of its own', async () => {
    const { db, cleanup } = await backend.open();
    try {
      const groups: number[] = [];
      const run = createGroupCommit(db.kysely, db.kind, { committed: (n) => groups.push(n) });
      const results = await Promise.allSettled([
        run((trx) => trx.insertInto('channel_state').values(row('a')).execute()),
        run(async (trx) => {
          await trx.insertInto('channel_state').values(row('b')).execute();
          throw new Error('no');
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
      expect((await db.kysely.selectFrom('channel_state').select('name').execute()).map((r) => r.name)).toEqual(['a']);
      expect(groups).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});
