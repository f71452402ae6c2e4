/**
 * kill -9 between a task's completion and the capture of its hold. Both are one transaction, so
 * the test holds a row lock on the key (from its own PostgreSQL session) to stop the server's
 * completing transaction exactly there (its task row already changed, its capture waiting on the
 * key), kills the server, and starts it again: the completion and the capture were rolled back
 * together, the task runs again, and it is charged exactly once. Runs where PostgreSQL is
 * (REELAY_TEST_DATABASE_URL; CI sets it).
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { expectBalanced } from '../support/billing.ts';
import { freePort, killHard, startChildServer, type ChildServer } from '../support/child-server.ts';
import { createPgSchema, postgresUrl } from '../support/databases.ts';
import { tempDir } from '../support/temp-dir.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const CREDIT = 1_000_000;
const MASTER = 'master-key-for-the-crash-test';

describe.skipIf(!postgresUrl)('a crash between completion and capture (PostgreSQL)', () => {
  const tmp = tempDir('reelay-crash-');
  let server: ChildServer | undefined;
  let db: Db | undefined;
  let locker: pg.Client | undefined;
  afterAll(async () => {
    if (server) await killHard(server.process);
    await locker?.end().catch(() => undefined);
    await db?.close();
    tmp.remove();
  });

  it('neither loses nor doubles the charge after a restart', async () => {
    const url = postgresUrl as string;
    const { schema } = await createPgSchema(url);
    const databaseUrl = new URL(url);
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
    const config = path.join(tmp.dir, 'config.json');
    // A short lease: the dead process's claim on the task expires quickly.
    writeFileSync(config, JSON.stringify({ worker: { concurrency: 1, leaseSeconds: 5, pollMilliseconds: 200 } }));
    const env = { PORT: String(await freePort()), REELAY_DATA_DIR: tmp.dir, REELAY_CONFIG: config, DATABASE_URL: databaseUrl.toString(), REELAY_MASTER_KEY: MASTER };
    server = await startChildServer(env);
    db = openDatabase({ url, dataDir: '', pgSchema: schema });
    const call = async (base: string, route: string, key: string, json?: object) => {
      const res = await fetch(`${base}${route}`, {
        method: json ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(json ? { body: JSON.stringify(json) } : {}),
      });
      return (await res.json()) as Record<string, unknown> & { data: Record<string, unknown> };
    };

    const key = (await call(server.url, '/admin/keys', MASTER, { name: 'crash', budget_credits: 30 })) as unknown as { id: string; key: string };
    const created = await call(server.url, '/v1/videos/text2video', key.key, { model_name: 'kling-v3', prompt: 'a paper boat on a river', duration: '5', mode: 'std' });
    const publicId = created.data.task_id as string;

    // Hold the key's row: the completing transaction will wait on it, after its task update.
    locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('begin');
    await locker.query(`select 1 from ${schema}.api_keys where id = $1 for update`, [key.id]);
    const blocked = async (): Promise<number | null> => {
      // Inside a transaction PostgreSQL serves pg_stat_activity from a snapshot taken at first use.
      await locker?.query('select pg_stat_clear_snapshot()');
      const r = await locker?.query<{ pid: number }>(
        `select pid from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%api_keys%' and pid <> pg_backend_pid()`,
      );
      return r?.rows[0]?.pid ?? null;
    };
    const deadline = Date.now() + 20_000;
    let pid = await blocked();
    while (pid === null) {
      if (Date.now() > deadline) {
        const all = await locker.query(`select pid, state, wait_event_type, wait_event, left(query, 120) as q from pg_stat_activity where datname = current_database()`);
        throw new Error(`the completion never reached the capture: ${JSON.stringify(all.rows)}\n${server.output()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
      pid = await blocked();
    }
    // The server's transaction has marked the task completed and waits to capture: pull the plug.
    await killHard(server.process);
    // PostgreSQL ends a dead client's session when it next talks to it; end it now, as it would.
    await locker.query('select pg_terminate_backend($1)', [pid]);
    await locker.query('rollback');

    const task = () => db!.kysely.selectFrom('tasks').selectAll().where('public_id', '=', publicId).executeTakeFirstOrThrow();
    expect((await task()).status).toBe('running');
    expect(await expectBalanced(db.kysely, key.id)).toMatchObject({ holds: 1, captured: 0, released: 0, heldMicros: 3 * CREDIT, spentMicros: 0 });

    server = await startChildServer(env);
    const end = Date.now() + 60_000;
    while ((await task()).status !== 'completed') {
      if (Date.now() > end) throw new Error(`the task did not complete after the restart (${(await task()).status})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const once = await expectBalanced(db.kysely, key.id);
    expect(once).toMatchObject({ holds: 1, captured: 3 * CREDIT, released: 0, heldMicros: 0, spentMicros: 3 * CREDIT, activeTasks: 0 });
    expect((await call(server.url, `/v1/videos/text2video/${publicId}`, key.key)).data).toMatchObject({ task_status: 'succeed', final_unit_deduction: '3' });

    // And another restart changes nothing: a settled task is never settled again.
    await killHard(server.process);
    server = await startChildServer(env);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await expectBalanced(db.kysely, key.id)).toEqual(once);
  });
});
