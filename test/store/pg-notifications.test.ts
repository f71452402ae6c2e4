/**
 * Cross-instance wake-ups over LISTEN/NOTIFY: delivered at commit and never after a rollback,
 * scoped to one schema, and a listener whose connection is killed comes back and says so.
 * Runs where PostgreSQL is (REELAY_TEST_DATABASE_URL).
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { createPgNotifications, type PgNotifications, type ReelayEvent } from '../../src/store/pg-notifications.ts';
import { createPgSchema, postgresUrl } from '../support/databases.ts';

describe.skipIf(!postgresUrl)('PostgreSQL notifications', () => {
  const url = postgresUrl as string;
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.close()));
  });

  async function open(schema?: string): Promise<{ schema: string; db: Db; channel: PgNotifications; heard: Array<ReelayEvent | null> }> {
    const s = schema ?? (await createPgSchema(url)).schema;
    const db = openDatabase({ url, dataDir: '', pgSchema: s, pgPoolSize: 2 });
    const channel = createPgNotifications({ url, pgSchema: s, minBackoffMs: 20, maxBackoffMs: 200 });
    const heard: Array<ReelayEvent | null> = [];
    channel.listen((e) => heard.push(e));
    await channel.start();
    opened.push(channel, db);
    return { schema: s, db, channel, heard };
  }

  it('delivers an event published in a transaction at its commit, and nothing after a rollback', async () => {
    const a = await open();
    await a.db.kysely.transaction().execute(async (trx) => {
      await a.channel.publish(trx, { t: 'task', id: 'committed' });
      await sleep(150);
      // Not before the commit.
      expect(a.heard).toEqual([]);
    });
    await until(() => a.heard.length > 0);
    expect(a.heard).toEqual([{ t: 'task', id: 'committed' }]);

    await expect(
      a.db.kysely.transaction().execute(async (trx) => {
        await a.channel.publish(trx, { t: 'status', id: 'rolled-back' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await a.db.kysely.transaction().execute((trx) => a.channel.publish(trx, { t: 'delivery' }));
    await until(() => a.heard.length > 1);
    await sleep(100);
    expect(a.heard).toEqual([{ t: 'task', id: 'committed' }, { t: 'delivery' }]);
  });

  it('wakes every listener on the same schema and none on another', async () => {
    const a = await open();
    const b = await open(a.schema);
    const other = await open();
    await a.db.kysely.transaction().execute((trx) => a.channel.publish(trx, { t: 'status', id: 'x1' }));
    await until(() => a.heard.length > 0 && b.heard.length > 0);
    await sleep(200);
    expect(a.heard).toEqual([{ t: 'status', id: 'x1' }]);
    expect(b.heard).toEqual([{ t: 'status', id: 'x1' }]);
    expect(other.heard).toEqual([]);
  });

  it('reconnects a listener whose connection was terminated and tells every listener once', async () => {
    const a = await open();
    const second: Array<ReelayEvent | null> = [];
    a.channel.listen((e) => second.push(e));
    const firstPid = a.channel.pid;
    expect(firstPid).not.toBeNull();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [firstPid]);
    } finally {
      await admin.end();
    }
    await until(() => a.channel.pid !== null && a.channel.pid !== firstPid);
    await until(() => a.heard.length > 0);
    expect(a.heard).toEqual([null]);
    expect(second).toEqual([null]);

    // And it listens again.
    await a.db.kysely.transaction().execute((trx) => a.channel.publish(trx, { t: 'task', id: 'after' }));
    await until(() => a.heard.length > 1);
    await sleep(100);
    expect(a.heard).toEqual([null, { t: 'task', id: 'after' }]);
    expect(second).toEqual([null, { t: 'task', id: 'after' }]);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}
