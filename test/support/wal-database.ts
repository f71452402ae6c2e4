/** A SQLite file in WAL mode in a fresh temp folder, with one table, for the store's low-level tests. */
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { tempDir } from './temp-dir.ts';

export type WalDatabase = { file: string; db: SqliteDatabase.Database; remove(): void };

export function walDatabase(prefix: string, options: { synchronous?: 'FULL' | 'NORMAL'; autocheckpoint?: boolean; schema: string }): WalDatabase {
  const tmp = tempDir(prefix);
  const file = path.join(tmp.dir, 'test.db');
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  if (options.autocheckpoint === false) db.pragma('wal_autocheckpoint = 0');
  db.exec(options.schema);
  return { file, db, remove: tmp.remove };
}
