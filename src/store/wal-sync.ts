/**
 * The fsync that makes a SQLite commit durable, off the event loop's thread.
 *
 * SQLite's `synchronous = FULL` in WAL mode is `NORMAL` plus one fsync of the WAL file after each
 * commit (https://sqlite.org/pragma.html#pragma_synchronous). better-sqlite3 runs that fsync on
 * the event loop's thread, so every request waits behind a slow one: at 1,000 creates/s, 34 of
 * ~11,000 commits stalled for 58–805 ms (bench/create.ts). Here the writer runs at `NORMAL` and
 * this class issues the same fsync through libuv's thread pool; the driver settles a write's
 * promise only after an fsync that began after its COMMIT, so "done" still means "on disk".
 *
 * Syncs are shared: while one is in flight, every commit that lands meanwhile waits for the next
 * one, which covers them all (fsync flushes the whole file, whichever descriptor asks).
 *
 * A failed fsync is final: Linux may drop the pages it could not write and let the next fsync
 * succeed, and the WAL's checksum chain would then discard every later frame too. So every sync
 * waiting or to come fails with the first error (the driver then refuses writes).
 */
import { close, fsync, open, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export type FsyncFunction = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;

const openAsync = promisify(open);
const closeAsync = promisify(close);

export class WalSync {
  readonly #walFile: string;
  readonly #fsync: FsyncFunction;
  readonly #onFailure: (error: Error) => void;
  #fd: number | null = null;
  /** The WAL's directory entry is made durable once, with the first sync (as SQLite does on creation). */
  #directorySynced = false;
  #inFlight: Promise<void> | null = null;
  #next: Promise<void> | null = null;
  #failed: Error | null = null;
  #closed = false;

  /**
   * `databaseFile` is the SQLite file; its WAL is `<file>-wal`. `fsync` is Node's unless a test
   * watches it; `onFailure` hears the fsync error that made every later sync fail, once.
   */
  constructor(databaseFile: string, options: { fsync?: FsyncFunction | undefined; onFailure?: (error: Error) => void } = {}) {
    this.#walFile = `${databaseFile}-wal`;
    this.#fsync = options.fsync ?? fsync;
    this.#onFailure = options.onFailure ?? (() => {});
  }

  /** Resolves once everything committed before the call is on disk; call it after a COMMIT. */
  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the database is closed'));
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#next) return this.#next;
    if (!this.#inFlight) return this.#start();
    // The sync in flight may have begun before this commit's frames were written.
    const next = this.#inFlight
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.#next = null;
        return this.#start();
      });
    this.#next = next;
    return next;
  }

  /** Waits for the syncs under way, then lets go of the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Refuse new syncs first: none may start on a descriptor about to close.
    this.#closed = true;
    await (this.#next ?? this.#inFlight)?.catch(() => undefined);
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #start(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const started = this.#syncOnce().finally(() => {
        if (this.#inFlight === started) this.#inFlight = null;
      });
    this.#inFlight = started;
    return started;
  }

  async #syncOnce(): Promise<void> {
    // Opened on the first sync: the WAL exists once a commit has been written to it, and SQLite
    // keeps the same file (truncating, never deleting it) while any connection is open.
    // Read-write: fsync needs it on some systems (Windows), though Linux would take read-only.
    this.#fd ??= openSync(this.#walFile, 'r+');
    await this.#fsyncOrFail(this.#fd);
    // A directory cannot be opened for fsync on Windows, which needs no such sync anyway.
    if (!this.#directorySynced && process.platform !== 'win32') {
      await this.#syncDirectory();
      this.#directorySynced = true;
    }
  }

  /** An fsync whose failure is final (see above); opening a file may fail and be tried again. */
  async #fsyncOrFail(fd: number): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => this.#fsync(fd, (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      if (!this.#failed) {
        this.#failed = error instanceof Error ? error : new Error(String(error));
        this.#onFailure(this.#failed);
      }
      throw this.#failed;
    }
  }

  async #syncDirectory(): Promise<void> {
    const fd = await openAsync(path.dirname(this.#walFile), 'r');
    try {
      await this.#fsyncOrFail(fd);
    } finally {
      await closeAsync(fd);
    }
  }
}
