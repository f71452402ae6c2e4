/** Opens the one database: SQLite in the data dir by default, PostgreSQL for DATABASE_URL. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { SqliteCheckpointer } from './sqlite-checkpointer.ts';
import { groupCommitSqliteDialect, type StatementSource } from './sqlite-group-driver.ts';
import { WalSync, type FsyncFunction } from './wal-sync.ts';

export type DatabaseKind = 'sqlite' | 'postgres';

export type Db = {
  kysely: Kysely<Database>;
  kind: DatabaseKind;
  close(): Promise<void>;
};

export type OpenDatabaseOptions = {
  /** postgres://... or null for SQLite. */
  url: string | null;
  /** Folder of the SQLite file (`reelay.db`). */
  dataDir: string;
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** The WAL's fsync (Node's); tests pass one that calls it and records when. */
  sqliteFsync?: FsyncFunction;
  /** Told of a failed fsync (every query is then refused) or of checkpoints starting to fail (SQLite). */
  onStorageProblem?: (message: string) => void;
  /** PostgreSQL schema to use (tests isolate themselves this way). */
  pgSchema?: string;
  pgPoolSize?: number;
};

const PG_INT8 = 20;

export function openDatabase(options: OpenDatabaseOptions): Db {
  if (options.url) return openPostgres(options.url, options);
  mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'reelay.db');
  const writer = new SqliteDatabase(file);
  // Everything below (the reader beside the writer, the WAL's own fsync) needs WAL mode.
  const mode = writer.pragma('journal_mode = WAL', { simple: true }) as unknown;
  if (mode !== 'wal') {
    writer.close();
    throw new Error(`SQLite could not use WAL mode for ${file} (it answered ${String(mode)}): put the data dir on a local disk`);
  }
  // FULL is NORMAL plus an fsync of the WAL after each commit; that fsync runs off the event
  // loop's thread (wal-sync.ts) and every write waits for it, so FULL's promise holds.
  const durable = (options.sqliteSynchronous ?? 'FULL') === 'FULL';
  writer.pragma('synchronous = NORMAL');
  // Checkpoints run on a worker thread (sqlite-checkpointer.ts). The writer's own, every ~40 MB of
  // WAL instead of SQLite's 4 MB, is what lets the WAL restart under steady writes; it copies only
  // what the worker has not yet.
  writer.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
  writer.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  // The CLI may write (keys) while the server runs; wait for the lock instead of failing.
  writer.pragma('busy_timeout = 5000');
  writer.pragma('foreign_keys = ON');
  // Reads outside transactions: WAL lets them run beside the writer's open group (see the driver).
  const reader = new SqliteDatabase(file);
  reader.pragma('busy_timeout = 5000');
  reader.pragma('query_only = ON');
  const report = options.onStorageProblem ?? (() => {});
  const walSync = new WalSync(file, {
    fsync: options.sqliteFsync,
    onFailure: (error) => report(`the disk failed to make a commit durable (fsync of ${file}-wal): every query is refused until Reelay restarts. ${error.message}`),
  });
  let checkpointsFailing = false;
  const checkpointer = new SqliteCheckpointer(file, (outcome) => {
    // Told once when checkpoints start failing, not every 100 ms while they do.
    if (!outcome.ok && !checkpointsFailing) report(`WAL checkpoints on the worker thread fail (the writer's own checkpoint still bounds the WAL): ${outcome.error}`);
    checkpointsFailing = !outcome.ok;
  });
  const afterCommit = (): Promise<void> | undefined => {
    checkpointer.wrote();
    return durable ? walSync.sync() : undefined;
  };
  const kysely = new Kysely<Database>({ dialect: groupCommitSqliteDialect(withStatementCache(writer), withStatementCache(reader), { afterCommit }) });
  return {
    kysely,
    kind: 'sqlite',
    close: async () => {
      // The worker lets go of the file first, so the writer's close is the last one: it
      // checkpoints the WAL and removes it, leaving one self-contained file.
      await checkpointer.close();
      await kysely.destroy();
      await walSync.close();
    },
  };
}

/** The writer's automatic checkpoint, in pages (4 KiB): ~40 MB of WAL. */
const WRITER_CHECKPOINT_PAGES = 10_000;
/** A WAL grown past this (a long read held a checkpoint back) is cut back to it when it restarts. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Distinct statements kept compiled; Kysely's queries have a few hundred shapes, `in (…)` lists a few more. */
const STATEMENT_CACHE = 1000;

/**
 * Kysely asks better-sqlite3 to compile every query afresh, and compiling costs more than running
 * a lookup by key (profiled: the largest single cost of a status read). Statements are reused by
 * their SQL text instead; SQLite recompiles one by itself if the schema changed under it. Safe
 * because better-sqlite3 runs a statement to completion synchronously before the next one starts
 * (Kysely's stream() would hold one open across awaits: nothing in Reelay streams).
 */
function withStatementCache(file: SqliteDatabase.Database): StatementSource {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => file.close(),
    get inTransaction() {
      return file.inTransaction;
    },
    prepare(sql) {
      let statement = cache.get(sql);
      if (statement) return statement;
      statement = file.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
  };
}

function openPostgres(url: string, options: OpenDatabaseOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.pgPoolSize ?? 10,
    // Epoch-ms columns are int8; pg returns those as strings unless told otherwise. Set per pool
    // rather than globally so nothing else in the process changes behaviour.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
    ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
  });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, kind: 'postgres', close: () => kysely.destroy() };
}

