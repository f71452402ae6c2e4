/**
 * Kysely's SQLite driver, with every write sharing its commit (and its fsync) with the writes
 * around it. Under `synchronous = FULL` each commit waits for an fsync, and better-sqlite3 waits
 * on the event loop's thread: with 10,000 tasks in flight the engine spent a third of its time in
 * ~175,000 single-statement commits (claims, callback nudges, check hand-backs, status changes;
 * profiled with bench/engine.ts). Here:
 *
 * - A write outside a transaction, or a whole transaction, is a unit. Units run one at a time on
 *   the writer connection, inside the group's open transaction (`begin immediate`); a transaction
 *   is a savepoint there, so its rollback undoes only itself.
 * - The group commits once the event loop has run what was ready (setImmediate), so writes
 *   issued together — by independent requests, attempts and loops — share one COMMIT.
 * - A unit's promise settles only after that COMMIT: the caller hears "done" when it is durable,
 *   exactly as with autocommit, and a failed COMMIT fails every unit of the group.
 * - Reads outside a transaction go to a second connection (WAL: readers never wait for the writer)
 *   and see only committed data, never a group still open. Reads inside a transaction see its own
 *   writes on the writer.
 * - A unit that fails or rolls back settles after its group commits too, so a read that follows
 *   it sees what the units before it wrote (an idempotency retry finds the record that won).
 * - With `afterCommit` (database.ts passes the WAL's fsync, wal-sync.ts), a group settles only
 *   once that promise does: durability is awaited off the event loop's thread. The reader sees a
 *   group once it has committed, before it is on disk, so a read outside a transaction answers
 *   only once the durability of the last commit before it has settled (nothing to wait for when
 *   no write is in flight; at most the rest of one fsync and the whole next one): nobody learns
 *   of a write the disk could still lose. This relies on afterCommit's promises settling in
 *   commit order, as the WAL's shared fsyncs do.
 * - If that promise fails, the disk may have dropped what it was given, and SQLite has already
 *   made the group visible: the group's units fail, a group still open is rolled back, and the
 *   driver refuses every query, reads included, until the process restarts (PostgreSQL stops on a
 *   failed fsync for the same reason). Readiness (`select 1`) then fails too, so a load balancer
 *   stops sending traffic and the operator sees why in the log.
 */
import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

export type StatementSource = { prepare(sql: string): SqliteDatabase.Statement; close(): void; readonly inTransaction: boolean };

type Group = { committed: Promise<void>; settle: (error?: unknown) => void };

/** One open unit at a time on the writer: a transaction spans awaits, and nothing may interleave. */
class UnitLock {
  #tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => held);
    return acquired;
  }
}

function run(statements: StatementSource, query: CompiledQuery): QueryResult<unknown> {
  const statement = statements.prepare(query.sql);
  const parameters = query.parameters as unknown[];
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

const raw = (sql: string) => CompiledQuery.raw(sql);

export type GroupCommitDriverOptions = {
  /** Runs after every COMMIT; the group's units settle when its promise does (see above). */
  afterCommit?: () => Promise<void> | undefined;
};

export class GroupCommitSqliteDriver implements Driver {
  readonly #writer: StatementSource;
  readonly #reader: StatementSource;
  readonly #afterCommit: (() => Promise<void> | undefined) | undefined;
  readonly #lock = new UnitLock();
  #group: Group | null = null;
  /** The last commit's durability while it has not settled: what a read, and the close, wait for. */
  #pendingDurable: Promise<void> | null = null;
  /** Why writes are refused: a durability promise failed (see above). */
  #broken: Error | null = null;
  #destroyed = false;

  constructor(writer: StatementSource, reader: StatementSource, options: GroupCommitDriverOptions = {}) {
    this.#writer = writer;
    this.#reader = reader;
    this.#afterCommit = options.afterCommit;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new GroupConnection(this);
  }

  async releaseConnection(): Promise<void> {}

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as GroupConnection;
    const release = await this.#lock.lock();
    try {
      this.#refuseClosed();
      c.group = this.#openGroup();
      run(this.#writer, raw('savepoint reelay_unit'));
    } catch (e) {
      release();
      throw e;
    }
    c.release = release;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as GroupConnection;
    try {
      run(this.#writer, raw('release reelay_unit'));
    } catch (e) {
      // Undone while the lock is still ours: once it is released, `reelay_unit` may be the next unit's.
      this.#undoUnit();
      c.endUnit();
      throw e;
    }
    c.endUnit();
    await c.group?.committed;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as GroupConnection;
    // Only while this unit still holds the lock: after a failed commit (Kysely rolls back then)
    // the lock is another unit's, and so is any `reelay_unit` savepoint.
    if (c.release) {
      this.#undoUnit();
      c.endUnit();
    }
    await c.group?.committed.catch(() => undefined);
  }

  /** Rolls the current unit's savepoint back; called only with the unit lock held. */
  #undoUnit(): void {
    // SQLite may have rolled the whole group back itself (disk full, I/O error): then the group
    // is lost, and its commit reports that to every unit in it.
    if (!this.#writer.inTransaction) return;
    try {
      run(this.#writer, raw('rollback to reelay_unit'));
      run(this.#writer, raw('release reelay_unit'));
    } catch (e) {
      if (!this.#writer.inTransaction) this.#abandonGroup(e);
      else throw e;
    }
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(raw(`rollback to "${name}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(raw(`release "${name}"`));
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    // The last group commits before the files close.
    const release = await this.#lock.lock();
    try {
      this.#commit();
      await this.#pendingDurable?.catch(() => undefined);
    } finally {
      release();
      this.#reader.close();
      this.#writer.close();
    }
  }

  /** A query outside a transaction: a read at once on the reader, a write as a unit of the group. */
  async runAlone(query: CompiledQuery): Promise<QueryResult<unknown>> {
    this.#refuseClosed();
    if (this.#isReadOnly(query.sql)) {
      const rows = run(this.#reader, query);
      // What the read saw may be committed but not yet on disk.
      if (this.#pendingDurable) await this.#pendingDurable;
      return rows;
    }
    const release = await this.#lock.lock();
    let group: Group | null = null;
    let result: QueryResult<unknown>;
    try {
      this.#refuseClosed();
      group = this.#openGroup();
      result = this.runInUnit(query);
    } catch (e) {
      release();
      await group?.committed.catch(() => undefined);
      throw e;
    }
    release();
    await group.committed;
    return result;
  }

  /** A statement of the unit holding the lock. */
  runInUnit(query: CompiledQuery): QueryResult<unknown> {
    try {
      return run(this.#writer, query);
    } catch (e) {
      // Some errors (disk full, I/O) make SQLite roll the whole transaction back: every unit of the
      // group is lost, and the next write must begin a new group rather than run in autocommit.
      if (this.#group && !this.#writer.inTransaction) this.#abandonGroup(e);
      throw e;
    }
  }

  #abandonGroup(error: unknown): void {
    const group = this.#group;
    this.#group = null;
    group?.settle(error);
  }

  #refuseClosed(): void {
    if (this.#destroyed) throw new Error('the database is closed');
    this.#refuseBroken();
  }

  #refuseBroken(): void {
    if (this.#broken) throw new Error(`the database refuses every query until Reelay restarts: its disk failed to make a commit durable (${this.#broken.message})`);
  }

  /** Decided on the writer's statement, which its cache keeps compiled. */
  #isReadOnly(sql: string): boolean {
    return this.#writer.prepare(sql).readonly;
  }


  /** The open group, or a new one (beginning its transaction); called only with the unit lock held. */
  #openGroup(): Group {
    // A group SQLite rolled back under one of the driver's own statements is lost: start afresh
    // rather than let this unit run in autocommit.
    if (this.#group && !this.#writer.inTransaction) this.#abandonGroup(new Error('the database rolled the transaction back'));
    this.#refuseBroken();
    if (this.#group) return this.#group;
    run(this.#writer, raw('begin immediate'));
    let settle!: (error?: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => (settle = (error) => (error === undefined ? resolve() : reject(error))));
    // A group nobody awaits (every unit already failed) must not be an unhandled rejection.
    committed.catch(() => undefined);
    const group: Group = { committed, settle };
    this.#group = group;
    setImmediate(() => void this.#commitWhenFree(group));
    return group;
  }

  async #commitWhenFree(group: Group): Promise<void> {
    const release = await this.#lock.lock();
    try {
      if (this.#group === group) this.#commit();
    } finally {
      release();
    }
  }

  /** Commits the open group, if any, and settles its units; called only with the unit lock held. */
  #commit(): void {
    const group = this.#group;
    if (!group) return;
    this.#group = null;
    try {
      if (!this.#writer.inTransaction) throw new Error('the database rolled the transaction back (see the error of the statement that failed)');
      // Units that joined before a failed fsync was known: undone (the catch rolls back).
      this.#refuseBroken();
      run(this.#writer, raw('commit'));
    } catch (e) {
      if (this.#writer.inTransaction) {
        try {
          run(this.#writer, raw('rollback'));
        } catch {
          // Nothing more to undo.
        }
      }
      group.settle(e);
      return;
    }
    let durable: Promise<void> | undefined;
    try {
      durable = this.#afterCommit?.();
    } catch (e) {
      durable = Promise.reject(e);
    }
    if (!durable) return group.settle();
    this.#pendingDurable = durable;
    const settled = (): void => {
      if (this.#pendingDurable === durable) this.#pendingDurable = null;
    };
    durable.then(
      () => {
        settled();
        group.settle();
      },
      (e: unknown) => {
        this.#broken ??= e instanceof Error ? e : new Error(String(e));
        settled();
        group.settle(e);
      },
    );
  }
}

class GroupConnection implements DatabaseConnection {
  readonly #driver: GroupCommitSqliteDriver;
  group: Group | null = null;
  release: (() => void) | null = null;

  constructor(driver: GroupCommitSqliteDriver) {
    this.#driver = driver;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.release) return this.#driver.runInUnit(query) as QueryResult<R>;
    return (await this.#driver.runAlone(query)) as QueryResult<R>;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported on SQLite here: nothing in Reelay streams');
  }

  endUnit(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }
}

/** A Kysely dialect over a writer and a reader connection to the same SQLite file (WAL mode). */
export function groupCommitSqliteDialect(writer: StatementSource, reader: StatementSource, options: GroupCommitDriverOptions = {}): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new GroupCommitSqliteDriver(writer, reader, options),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}
