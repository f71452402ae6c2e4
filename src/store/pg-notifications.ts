/**
 * Cross-instance wake-ups on PostgreSQL (issue 7): LISTEN/NOTIFY on one channel per schema.
 * A notification only says "look" (a task id at most, never a task: payloads stay far below
 * PostgreSQL's 8000-byte limit); whoever receives it re-reads the store, which is the truth.
 * Best effort by design: polling stays as the fallback, so a lost notification costs latency only.
 *
 * - `publish(trx, event)` runs `pg_notify` inside the caller's transaction: PostgreSQL delivers it
 *   at commit, and never after a rollback.
 * - One dedicated `pg.Client` (not from the pool: a pooled connection would be handed to a query
 *   and its LISTEN lost) listens; when its connection drops it reconnects with back-off and then
 *   calls every listener once with `null` (a resync), since notifications may have been missed.
 * - Channel names are database-wide, so the channel carries a hash of `current_schema()`: two
 *   deployments (or two test schemas) in one database do not wake each other.
 */
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type ReelayEvent =
  /** A new task, or one whose due time moved: workers look for work. */
  | { t: 'task'; id: string }
  /** A task's status or progress changed: its event streams re-read it, workers look for work. */
  | { t: 'status'; id: string }
  /** A new delivery, or one due again: senders look for work. */
  | { t: 'delivery' }
  /** A channel's health changed: routers re-read it. */
  | { t: 'channel'; name: string };

/** Receives each event, or `null` after a reconnect: anything may have changed, look at everything. */
export type ReelayEventListener = (event: ReelayEvent | null) => void;

export type PgNotifications = {
  /** Queues `event` in `trx`'s transaction (or sends it at once on a bare connection). */
  publish(trx: Kysely<Database>, event: ReelayEvent): Promise<void>;
  /** Calls `listener` on every received event until the returned function is called. */
  listen(listener: ReelayEventListener): () => void;
  /** Connects and LISTENs; resolves once listening (later drops reconnect on their own). */
  start(): Promise<void>;
  /** Stops listening and reconnecting; closes the connection. */
  close(): Promise<void>;
  /** The listening connection's backend pid, null while disconnected (tests terminate it). */
  readonly pid: number | null;
};

export type PgNotificationsOptions = {
  /** postgres://... (its `options=-c search_path=...`, if any, picks the schema). */
  url: string;
  /** A schema to put on the search_path, as openDatabase's `pgSchema`. */
  pgSchema?: string | undefined;
  /** The first reconnect waits this long, doubling up to `maxBackoffMs` (defaults 100 ms, 5 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Told about connection problems (never a secret: only the error's message). */
  onError?: (error: Error) => void;
};

/** `reelay_` + 16 hex digits of md5(current_schema()): a valid identifier, equal on every connection of a schema. */
const CHANNEL_SQL = `'reelay_' || left(md5(coalesce(current_schema(), '')), 16)`;

export function createPgNotifications(options: PgNotificationsOptions): PgNotifications {
  const minBackoff = options.minBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 5000;
  const listeners = new Set<ReelayEventListener>();
  let client: pg.Client | null = null;
  let pid: number | null = null;
  let closed = false;
  let started = false;
  let backoff = minBackoff;
  let retry: NodeJS.Timeout | null = null;

  const emit = (event: ReelayEvent | null) => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A listener only wakes its own loop; one that throws must not keep the others asleep.
      }
    }
  };

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: options.url, ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}) });
    let lost = false;
    const drop = (e?: Error) => {
      if (lost) return;
      lost = true;
      if (e) options.onError?.(e);
      if (client === c) {
        client = null;
        pid = null;
      }
      c.end().catch(() => undefined);
      scheduleReconnect();
    };
    c.on('error', drop);
    c.on('end', () => drop());
    c.on('notification', (msg) => {
      const event = parseEvent(msg.payload);
      if (event) emit(event);
    });
    try {
      await c.connect();
      const found = await c.query<{ channel: string; pid: number }>(`select ${CHANNEL_SQL} as channel, pg_backend_pid() as pid`);
      const row = found.rows[0];
      if (!row) throw new Error('no channel name');
      // Hex digits after a fixed prefix: safe to put in the statement as an identifier.
      await c.query(`listen "${row.channel}"`);
      if (closed) {
        lost = true;
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      pid = row.pid;
      backoff = minBackoff;
    } catch (e) {
      if (!lost) drop(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
  }

  function scheduleReconnect(): void {
    if (closed || retry || !started) return;
    const wait = backoff;
    backoff = Math.min(maxBackoff, backoff * 2);
    retry = setTimeout(() => {
      retry = null;
      connect().then(
        // Whatever was published while nobody listened is lost: everyone looks once.
        () => {
          if (!closed) emit(null);
        },
        () => undefined, // drop() already scheduled the next try
      );
    }, wait);
    retry.unref?.();
  }

  return {
    async publish(trx, event) {
      await sql`select pg_notify(${sql.raw(CHANNEL_SQL)}, ${JSON.stringify(event)})`.execute(trx);
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      started = true;
      await connect();
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      const c = client;
      client = null;
      pid = null;
      listeners.clear();
      if (c) await c.end().catch(() => undefined);
    },
    get pid() {
      return pid;
    },
  };
}

/** A payload from the channel; anything else (another version's event, garbage) is ignored. */
function parseEvent(payload: string | undefined): ReelayEvent | null {
  if (!payload) return null;
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { t, id, name } = v as { t?: unknown; id?: unknown; name?: unknown };
  if (t === 'delivery') return { t };
  if (t === 'channel' && typeof name === 'string' && name.length > 0) return { t, name };
  if ((t === 'task' || t === 'status') && typeof id === 'string' && id.length > 0) return { t, id };
  return null;
}
