/**
 * The store suite runs on every backend there is: always a real SQLite file, and the machine's
 * PostgreSQL when REELAY_TEST_DATABASE_URL is set (CI sets it). Each PostgreSQL test database is
 * a fresh schema; all of them are dropped once the whole run is over (test/support/global-setup.ts).
 */
import pg from 'pg';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrations.ts';
import { tempDir } from './temp-dir.ts';

export type Backend = { name: 'sqlite' | 'postgres'; open(): Promise<{ db: Db; cleanup(): Promise<void> }> };

export const postgresUrl: string | undefined = process.env.REELAY_TEST_DATABASE_URL || undefined;

if (!postgresUrl) {
  console.warn('[reelay tests] REELAY_TEST_DATABASE_URL is not set: PostgreSQL store tests are SKIPPED (SQLite runs).');
}

const sqlite: Backend = {
  name: 'sqlite',
  async open() {
    const tmp = tempDir();
    const db = openDatabase({ url: null, dataDir: tmp.dir });
    await migrateToLatest(db);
    return { db, cleanup: async () => { await db.close(); tmp.remove(); } };
  },
};

/** A fresh schema in the test database, with the pool's search_path pointing at it. */
export async function createPgSchema(url: string): Promise<{ schema: string; drop(): Promise<void> }> {
  // The run's tag lets the global teardown drop this run's schemas and no other run's.
  const schema = `t_${process.env.REELAY_TEST_RUN ?? 'solo'}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    schema,
    // Dropping now would race other test files: Kysely's migrator checks the privileges of
    // every schema in the database, and one dropped meanwhile makes that query fail (3F000).
    // The global teardown drops every test schema once all files are done.
    async drop() {},
  };
}

const postgres: Backend = {
  name: 'postgres',
  async open() {
    const url = postgresUrl as string;
    const { schema, drop } = await createPgSchema(url);
    const db = openDatabase({ url, dataDir: '', pgSchema: schema });
    try {
      await migrateToLatest(db);
    } catch (e) {
      await db.close();
      await drop();
      throw e;
    }
    return { db, cleanup: async () => { await db.close(); await drop(); } };
  },
};

export const backends: Backend[] = postgresUrl ? [sqlite, postgres] : [sqlite];
