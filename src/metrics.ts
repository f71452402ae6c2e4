/**
 * The Prometheus registry of one server instance and the plain callbacks the rooms below report
 * through (they never see prom-client): HTTP timings from the app, upstream calls from each
 * channel's client, webhook outcomes from the sender. A registry per instance, never prom-client's
 * global one: tests run several servers in one process, and each must count only its own.
 *
 * Two kinds of numbers share the exposition:
 * - per process (HTTP, upstream calls, webhook deliveries, process_* and nodejs_* defaults): each
 *   instance counts what it did; sum them across instances.
 * - from the database (tasks, queue, ledger), read at scrape time: every instance reports the
 *   same values; take one (max), never the sum.
 *
 * Cost per scrape: the queue read uses the partial index on active tasks (`tasks_due`, due_at not
 * null), so it stays cheap however many tasks have ended. Counting tasks by status and summing
 * the ledger read every row of those tables (there is no index on tasks.status): a sequential
 * scan, fine up to some hundred thousand rows, slow on millions.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import { toCredits } from './billing/credits.ts';
import { TASK_STATUSES, type TaskStatus } from './domain/task.ts';
import type { ChannelCallObserver } from './engine/build-channels.ts';
import type { RequestObserver } from './http/request-timing.ts';
import type { MetricsText } from './http/routes/metrics-routes.ts';
import type { Database, LedgerTable } from './store/schema.ts';
import type { DeliveryObserver } from './webhooks/delivery-sender.ts';

/** Upstream calls take from tens of ms (a status check) to the channel's deadline (tens of s). */
const UPSTREAM_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Lag runs from a few ms (a receiver on hand) through the 1, 2 and 4 s retries to minutes (a backlog). */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

export type Metrics = {
  /** For the app: each request's route pattern, method, status and duration. */
  observeRequest: RequestObserver;
  /** For buildChannels: each upstream call. */
  observeUpstream: ChannelCallObserver;
  /** For the delivery sender: each delivery sent, each failed attempt. */
  deliveries: DeliveryObserver;
  /** The exposition, for `GET /metrics`. */
  render(): Promise<MetricsText>;
};

export function createMetrics(deps: { db: Kysely<Database>; now: () => number; log: Logger }): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // Unprefixed (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...): the names stock dashboards expect.
  collectDefaultMetrics({ register: registry });

  const http = new Histogram({
    name: 'reelay_http_request_duration_seconds',
    help: 'HTTP requests served by this instance: seconds to the response (an event stream: to its first byte), by route pattern (unmatched: no route), method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const upstreamCalls = new Counter({
    name: 'reelay_upstream_requests_total',
    help: 'Calls this instance sent to upstream channels, by provider, channel and outcome (ok: 2xx; 1xx/3xx/4xx/5xx: the status class; timeout; unreachable: no connection; network: the connection failed; too_large; aborted: Reelay gave up).',
    labelNames: ['provider', 'channel', 'outcome'] as const,
    registers,
  });
  const upstreamSeconds = new Histogram({
    name: 'reelay_upstream_request_duration_seconds',
    help: 'Seconds each upstream call of this instance took (after request pacing), by provider and channel.',
    labelNames: ['provider', 'channel'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers,
  });
  const lag = new Histogram({
    name: 'reelay_webhook_delivery_lag_seconds',
    help: 'Webhook deliveries sent by this instance: seconds from the delivery being queued to the receiver accepting it (retries included; a replayed delivery counts from its first queueing).',
    buckets: LAG_BUCKETS,
    registers,
  });
  const failures = new Counter({
    name: 'reelay_webhook_delivery_failures_total',
    help: 'Failed webhook delivery attempts of this instance by reason (http_4xx, http_5xx, timeout, network, private_address, ...); final="true" when the delivery was given up.',
    labelNames: ['reason', 'final'] as const,
    registers,
  });
  registerDatabaseGauges(registry, deps);

  return {
    observeRequest: ({ route, method, status, seconds }) => http.observe({ route, method, status: String(status) }, seconds),
    observeUpstream: ({ provider, channel, outcome, seconds }) => {
      upstreamCalls.inc({ provider, channel, outcome });
      upstreamSeconds.observe({ provider, channel }, seconds);
    },
    deliveries: {
      delivered: (seconds) => lag.observe(seconds),
      failed: (reason, final) => failures.inc({ reason, final: String(final) }),
    },
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

const LEDGER_ENTRIES = ['hold', 'capture', 'release'] as const satisfies readonly LedgerTable['entry'][];

export type DatabaseSnapshot = {
  tasksByStatus: Record<TaskStatus, number>;
  /** Epoch ms the oldest queued task was created; null when none is queued. */
  oldestQueuedAt: number | null;
  /** Micro-credits per ledger entry kind, over all time. */
  ledgerMicros: Record<LedgerTable['entry'], number>;
};

// PostgreSQL answers count() as bigint and sum(bigint) as numeric: pg hands both over as strings.
const whole = z.coerce.number().int().nonnegative();
const countRow = z.object({ status: z.string(), n: whole });
const sumRow = z.object({ entry: z.string(), micros: whole.nullable() });
const oldestRow = z.object({ oldest: whole.nullable() });

export async function readDatabaseSnapshot(db: Kysely<Database>): Promise<DatabaseSnapshot> {
  // One query after another: a scrape holds at most one pooled connection.
  const counts = await db
    .selectFrom('tasks')
    .select((eb) => ['status', eb.fn.countAll().as('n')])
    .groupBy('status')
    .execute();
  // `due_at is not null` (every queued or running task has it) lets the partial index answer.
  const oldest = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.min('created_at').as('oldest'))
    .where('due_at', 'is not', null)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  const sums = await db
    .selectFrom('ledger')
    .select((eb) => ['entry', eb.fn.sum('micros').as('micros')])
    .groupBy('entry')
    .execute();

  const tasksByStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const raw of counts) {
    const row = countRow.parse(raw);
    if ((TASK_STATUSES as readonly string[]).includes(row.status)) tasksByStatus[row.status as TaskStatus] = row.n;
  }
  const ledgerMicros = Object.fromEntries(LEDGER_ENTRIES.map((e) => [e, 0])) as Record<LedgerTable['entry'], number>;
  for (const raw of sums) {
    const row = sumRow.parse(raw);
    if ((LEDGER_ENTRIES as readonly string[]).includes(row.entry)) ledgerMicros[row.entry as LedgerTable['entry']] = row.micros ?? 0;
  }
  return { tasksByStatus, oldestQueuedAt: oldestRow.parse(oldest ?? { oldest: null }).oldest, ledgerMicros };
}

/**
 * Registers the database gauges on `registry`. Every gauge's collect asks for the snapshot; the
 * reads of one scrape are shared (one set of queries per scrape, not one per gauge). When the
 * database does not answer, the scrape still succeeds: the database gauges are left empty and
 * `reelay_database_metrics_ok` is 0.
 */
export function registerDatabaseGauges(registry: Registry, deps: { db: Kysely<Database>; now: () => number; log: Logger }): void {
  let inflight: Promise<DatabaseSnapshot | null> | null = null;
  const snapshot = (): Promise<DatabaseSnapshot | null> => {
    inflight ??= readDatabaseSnapshot(deps.db)
      .catch((e: unknown) => {
        deps.log.warn({ err: e }, 'metrics: the database did not answer; the database gauges are empty in this scrape');
        return null;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  };
  const registers = [registry];

  const ok = new Gauge({
    name: 'reelay_database_metrics_ok',
    help: '1 when the database-derived gauges of this scrape were read, 0 when the database did not answer.',
    registers,
    async collect() {
      ok.set((await snapshot()) === null ? 0 : 1);
    },
  });
  const tasks = new Gauge({
    name: 'reelay_tasks',
    help: 'Tasks by status, read from the database at scrape time (the same on every instance).',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      tasks.reset();
      if (s) for (const status of TASK_STATUSES) tasks.set({ status }, s.tasksByStatus[status]);
    },
  });
  const depth = new Gauge({
    name: 'reelay_queue_depth',
    help: 'Tasks queued: waiting for a worker or for their upstream submit (from the database; the same on every instance).',
    registers,
    async collect() {
      const s = await snapshot();
      depth.reset();
      if (s) depth.set(s.tasksByStatus.queued);
    },
  });
  const oldest = new Gauge({
    name: 'reelay_queue_oldest_age_seconds',
    help: 'Seconds since the oldest queued task was created; 0 when none is queued (from the database; the same on every instance).',
    registers,
    async collect() {
      const s = await snapshot();
      oldest.reset();
      if (s) oldest.set(s.oldestQueuedAt === null ? 0 : Math.max(0, deps.now() - s.oldestQueuedAt) / 1000);
    },
  });
  const ledger = new Gauge({
    name: 'reelay_ledger_credits',
    help: 'Credits in the ledger over all time by entry: hold (held at create), capture (charged), release (given back); from the database, the same on every instance.',
    labelNames: ['entry'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      ledger.reset();
      if (s) for (const entry of LEDGER_ENTRIES) ledger.set({ entry }, toCredits(s.ledgerMicros[entry]));
    },
  });
}
