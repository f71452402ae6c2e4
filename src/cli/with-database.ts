/** Opens the server's database (migrated) for a CLI command, and closes it when the work is done. */
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import { openDatabase } from '../store/database.ts';
import { migrateToLatest } from '../store/migrations.ts';
import type { Database } from '../store/schema.ts';

export async function withDatabase<T>(config: Config, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const db = openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.file.sqlite.synchronous,
    onStorageProblem: (message) => console.error(message),
  });
  try {
    await migrateToLatest(db);
    return await work(db.kysely);
  } finally {
    await db.close();
  }
}
