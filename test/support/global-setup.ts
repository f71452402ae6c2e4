/**
 * Drops the PostgreSQL schemas the store tests made (`t_<run>_<time>_<random>`, see
 * test/support/databases.ts): this run's once every test file has finished, and at the start
 * those an earlier run that was killed left behind, hours old. Another run on the same database
 * at the same time keeps its own.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A day of schemas is far longer than any run; only a killed run leaves schemas that old. */
const STALE_MS = 6 * 60 * 60 * 1000;
const run = randomBytes(4).toString('hex');

async function dropSchemas(where: (name: string) => boolean): Promise<void> {
  const url = process.env.REELAY_TEST_DATABASE_URL;
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`select nspname as name from pg_namespace where nspname ~ '^t_[0-9a-z_]+$'`);
    for (const { name } of rows) if (where(name)) await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}

/** When a schema was made, from its name: `t_<run>_<time base 36>_<random>` (or the older `t_<time>_<random>`). */
function madeAt(name: string): number {
  const parts = name.split('_');
  const time = parts.length === 4 ? parts[2] : parts[1];
  return time ? parseInt(time, 36) : 0;
}

export async function setup(): Promise<void> {
  // Workers start after this and inherit the environment: their schemas carry this run's tag.
  process.env.REELAY_TEST_RUN = run;
  await dropSchemas((name) => Date.now() - madeAt(name) > STALE_MS);
}

export async function teardown(): Promise<void> {
  await dropSchemas((name) => name.startsWith(`t_${run}_`));
}
