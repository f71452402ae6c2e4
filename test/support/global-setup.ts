/**
 * Drops the PostgreSQL schemas the store tests made (`t_<time>_<random>`), once, after every test
 * file has finished, and any left over by an earlier run that was killed.
 */
import pg from 'pg';

async function dropTestSchemas(): Promise<void> {
  const url = process.env.REELAY_TEST_DATABASE_URL;
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`select nspname as name from pg_namespace where nspname ~ '^t_[0-9a-z]+_[0-9a-z]+$'`);
    for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<void> {
  await dropTestSchemas();
}

export async function teardown(): Promise<void> {
  await dropTestSchemas();
}
