/**
 * Drops the PostgreSQL schemas the store tests make (`t_<run>_<time>_<random>`, see
 * test/support/databases.ts), but never while another test run on the same database is going:
 * Kysely's migrator reads every schema of the database, and one dropped under it fails that run's
 * migration (3F000). Every run holds a shared advisory lock for its whole length; whoever gets the
 * lock exclusively (at its start or its end) is alone and drops every test schema there is.
 * A run that finds company drops only schemas hours old (left by a killed run).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Far longer than any run; only a killed run leaves schemas that old. */
const STALE_MS = 6 * 60 * 60 * 1000;
/** The advisory lock every test run holds shared (an arbitrary constant). */
const RUNS_LOCK = 7_203_514;
const run = randomBytes(4).toString('hex');
let client: pg.Client | undefined;

async function dropSchemas(c: pg.Client, where: (name: string) => boolean): Promise<void> {
  const { rows } = await c.query<{ name: string }>(`select nspname as name from pg_namespace where nspname ~ '^t_[0-9a-z_]+$'`);
  for (const { name } of rows) if (where(name)) await c.query(`drop schema if exists "${name}" cascade`);
}

/** When a schema was made, from its name: `t_<run>_<time base 36>_<random>` (or the older `t_<time>_<random>`). */
function madeAt(name: string): number {
  const parts = name.split('_');
  const time = parts.length === 4 ? parts[2] : parts[1];
  return time ? parseInt(time, 36) : 0;
}

/** Drops every test schema when no other run holds the lock; true when it did. */
async function dropAllIfAlone(c: pg.Client): Promise<boolean> {
  const { rows } = await c.query<{ alone: boolean }>('select pg_try_advisory_lock($1) as alone', [RUNS_LOCK]);
  if (!rows[0]?.alone) return false;
  try {
    await dropSchemas(c, () => true);
  } finally {
    await c.query('select pg_advisory_unlock($1)', [RUNS_LOCK]);
  }
  return true;
}

export async function setup(): Promise<void> {
  // Workers start after this and inherit the environment: their schemas carry this run's tag.
  process.env.REELAY_TEST_RUN = run;
  const url = process.env.REELAY_TEST_DATABASE_URL;
  if (!url) return;
  client = new pg.Client({ connectionString: url });
  await client.connect();
  if (!(await dropAllIfAlone(client))) await dropSchemas(client, (name) => Date.now() - madeAt(name) > STALE_MS);
  await client.query('select pg_advisory_lock_shared($1)', [RUNS_LOCK]);
}

export async function teardown(): Promise<void> {
  if (!client) return;
  try {
    await client.query('select pg_advisory_unlock_shared($1)', [RUNS_LOCK]);
    await dropAllIfAlone(client);
  } finally {
    await client.end();
  }
}
