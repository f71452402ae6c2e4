/**
 * WAL checkpoints off the event loop's thread. A checkpoint copies the WAL's pages into the
 * database file and fsyncs both; run by the writer (SQLite's automatic checkpoint every 1,000
 * pages), it held the event loop for tens to hundreds of milliseconds under load (bench/create.ts).
 *
 * One worker thread per process keeps its own connection to each database file and runs a
 * PASSIVE checkpoint ~100 ms after a write, which never waits for the writer or the readers. A
 * checkpoint from another connection cannot restart the WAL while writes keep arriving (it is
 * never wholly copied at a moment the writer is idle), so the writer keeps a large automatic
 * checkpoint (see database.ts): by the time it triggers, this worker has copied nearly all of the
 * WAL, and what is left for the writer's thread is the last ~100 ms of pages.
 *
 * Nothing depends on the worker for correctness: if it cannot start or dies, the writer's
 * automatic checkpoint still bounds the WAL, only with larger pauses.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How long after a write the worker checkpoints: writes in between share the checkpoint. */
const CHECKPOINT_DELAY_MS = 100;
/** A worker that died is not started again sooner than this (the writer's checkpoint covers). */
const RESTART_AFTER_MS = 10_000;
/** How long a close waits for the worker to let go of the file before ending the worker. */
const CLOSE_WAIT_MS = 5_000;

/**
 * The worker's code, evaluated as CommonJS so it needs no build step (the sources run as
 * TypeScript in tests and as compiled JavaScript when installed). It answers every message.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
const files = new Map();
parentPort.on('message', ({ kind, id, file }) => {
  try {
    if (kind === 'checkpoint') {
      let db = files.get(file);
      if (!db) {
        db = new Sqlite(file);
        db.pragma('busy_timeout = 5000');
        files.set(file, db);
      }
      const [row] = db.pragma('wal_checkpoint(PASSIVE)');
      parentPort.postMessage({ id, ok: true, framesCopied: row ? row.checkpointed : 0 });
    } else {
      files.get(file)?.close();
      files.delete(file);
      parentPort.postMessage({ id, ok: true, framesCopied: 0 });
    }
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: String(error && error.message || error) });
  }
});
`;

type Reply = { id: number; ok: true; framesCopied: number } | { id: number; ok: false; error: string };
type Request = { kind: 'checkpoint' | 'release'; file: string };

class CheckpointWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  #nextId = 0;
  /** When the worker stopped (error or exit); null while it runs. */
  diedAt: number | null = null;

  constructor() {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver } });
    // An idle worker must not keep the process alive; one with a question out must (a close
    // awaiting its release would otherwise end with the process).
    this.#worker.unref();
    this.#worker.on('message', (reply: Reply) => {
      const answer = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) this.#worker.unref();
      answer?.(reply);
    });
    const fail = (why: string): void => {
      this.diedAt ??= Date.now();
      for (const answer of this.#waiting.values()) answer({ id: -1, ok: false, error: why });
      this.#waiting.clear();
    };
    this.#worker.on('error', (error) => fail(error.message));
    this.#worker.on('exit', (code) => fail(`the checkpoint worker exited (${code})`));
  }

  /** Ends the worker (one that does not answer); every question out fails. */
  async end(): Promise<void> {
    await this.#worker.terminate();
  }

  ask(request: Request): Promise<Reply> {
    if (this.diedAt !== null) return Promise.resolve({ id: -1, ok: false, error: 'the checkpoint worker is not running' });
    const id = this.#nextId++;
    return new Promise((resolve) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, resolve);
      this.#worker.postMessage({ ...request, id });
    });
  }
}

let shared: CheckpointWorker | null = null;

/** The process's worker, started on first use and again a while after the last one died; null meanwhile. */
function worker(): CheckpointWorker | null {
  if (shared && shared.diedAt !== null && Date.now() - shared.diedAt < RESTART_AFTER_MS) return null;
  if (!shared || shared.diedAt !== null) shared = new CheckpointWorker();
  return shared;
}

export type CheckpointOutcome = { ok: true; framesCopied: number } | { ok: false; error: string };

/** Checkpoints for one database file; `wrote()` after each commit, `close()` before the file closes. */
export class SqliteCheckpointer {
  readonly #file: string;
  readonly #onCheckpoint: ((outcome: CheckpointOutcome) => void) | undefined;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #closed = false;

  /** `onCheckpoint` hears how each checkpoint went (logs, tests; a failure is never fatal, see above). */
  constructor(databaseFile: string, onCheckpoint?: (outcome: CheckpointOutcome) => void) {
    this.#file = databaseFile;
    this.#onCheckpoint = onCheckpoint;
  }

  /** A commit landed: checkpoint soon, once for every write until then. */
  wrote(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => this.#checkpoint(), CHECKPOINT_DELAY_MS);
    this.#timer.unref();
  }

  /** Stops checkpointing and closes the worker's connection to the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const current = shared;
    if (!current || current.diedAt !== null) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CLOSE_WAIT_MS)));
    const released = (this.#running ?? Promise.resolve()).then(() => current.ask({ kind: 'release', file: this.#file }));
    const outcome = await Promise.race([released, gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.#onCheckpoint?.({ ok: false, error: `the checkpoint worker did not let go of the file within ${CLOSE_WAIT_MS} ms: ended` });
      // A thread stuck in native code may not stop at once either: the close does not wait for it.
      void current.end().catch(() => undefined);
    }
  }

  #checkpoint(): void {
    this.#timer = null;
    // One at a time per file: writes during a checkpoint schedule the next one when it ends.
    if (this.#running) {
      void this.#running.then(() => this.wrote());
      return;
    }
    let checkpoints: CheckpointWorker | null;
    try {
      checkpoints = worker();
    } catch (error) {
      this.#onCheckpoint?.({ ok: false, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (!checkpoints) return;
    const running = checkpoints
      .ask({ kind: 'checkpoint', file: this.#file })
      .then((reply) => {
        this.#onCheckpoint?.(reply.ok ? { ok: true, framesCopied: reply.framesCopied } : { ok: false, error: reply.error });
      })
      .catch(() => undefined)
      .finally(() => {
        this.#running = null;
      });
    this.#running = running;
  }
}
