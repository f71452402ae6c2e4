/**
 * `GET /metrics` on a real server over real HTTP: the master key only, the Prometheus text format,
 * and values that match what happened (parsed from the exposition, not matched as substrings).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { postgresUrl } from '../support/databases.ts';
import { simChannel, simTestSuite } from '../support/kling-sim-server.ts';
import { startPostgresTestServer, waitForKlingTask, type CreatedKey, type TestServer } from '../support/server.ts';
import { webhookSuite, type Receiver } from '../support/webhook-receiver.ts';

type Sample = { name: string; labels: Record<string, string>; value: number };
type Exposition = { samples: Sample[]; help: Map<string, string>; types: Map<string, string> };

/** The Prometheus text format (0.0.4): `# HELP`, `# TYPE` and `name{label="value",...} number` lines. */
function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      (comment[1] === 'HELP' ? help : types).set(comment[2] as string, comment[3] as string);
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const raw = match[3] as string;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`not a number: ${line}`);
    samples.push({ name: match[1] as string, labels, value });
  }
  return { samples, help, types };
}

/** The samples named `name` whose labels include `labels`. */
function find(e: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample named `name` with exactly these labels' values (fails when there is not exactly one). */
function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = find(e, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return (found[0] as Sample).value;
}

async function scrape(server: TestServer): Promise<Exposition> {
  const res = await server.api('/metrics');
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

/** Scrapes until `done` holds (the sender and the worker finish a moment after a client sees it). */
async function scrapeUntil(server: TestServer, done: (e: Exposition) => boolean, timeoutMs = 30_000): Promise<Exposition> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await scrape(server);
    if (done(e)) return e;
    if (Date.now() > deadline) throw new Error('the metrics did not reach the expected values in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The ledger summed per entry, in credits, straight from the database. */
async function ledgerCredits(server: TestServer): Promise<Record<string, number>> {
  const rows = await server.db.kysely.selectFrom('ledger').select(['entry', 'micros']).execute();
  const out: Record<string, number> = { hold: 0, capture: 0, release: 0 };
  for (const r of rows) out[r.entry] = (out[r.entry] ?? 0) + Number(r.micros);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v / 1_000_000]));
}

async function taskCounts(server: TestServer): Promise<Record<string, number>> {
  const rows = await server.db.kysely.selectFrom('tasks').select('status').execute();
  const out: Record<string, number> = { queued: 0, running: 0, completed: 0, failed: 0, canceled: 0 };
  for (const r of rows) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

async function createKlingTask(server: TestServer, key: string, body: Record<string, unknown>): Promise<string> {
  const res = await server.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', duration: '3', ...body } });
  const json = (await res.json()) as { data?: { task_id: string } };
  if (res.status !== 200 || !json.data) throw new Error(`create answered ${res.status}: ${JSON.stringify(json)}`);
  return json.data.task_id;
}

describe('GET /metrics', () => {
  let server: TestServer;
  let receiver: Receiver;
  let key: CreatedKey;
  webhookSuite((suite) => ({ server, receiver, key } = suite));

  it('answers only the master key', async () => {
    expect((await server.api('/metrics', { key: '' })).status).toBe(401);
    expect((await server.api('/metrics', { key: 'rl_not_a_key' })).status).toBe(401);
    const tenant = await server.api('/metrics', { key: key.key });
    expect(tenant.status).toBe(403);
    expect(((await tenant.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const res = await server.api('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('reports requests by route pattern, tasks by status, the ledger, webhook lag and the process', async () => {
    const taskId = await createKlingTask(server, key.key, { prompt: 'a lighthouse at dusk', callback_url: receiver.url('/hook') });
    const done = await waitForKlingTask(server, `/v1/videos/text2video/${taskId}`, key.key);
    expect(done.task_status).toBe('succeed');
    await receiver.waitFor('/hook', 2);
    expect((await server.api('/no/such/route/123', { key: key.key })).status).toBe(404);

    // The sender records an outcome just after the receiver answers: wait for both (running, completed).
    const e = await scrapeUntil(server, (x) => find(x, 'reelay_webhook_delivery_lag_seconds_count').some((s) => s.value >= 2));

    // HTTP: the route's pattern, never the id.
    const http = 'reelay_http_request_duration_seconds_count';
    expect(e.types.get('reelay_http_request_duration_seconds')).toBe('histogram');
    expect(value(e, http, { route: '/v1/videos/text2video', method: 'POST', status: '200' })).toBe(1);
    expect(value(e, http, { route: '/v1/videos/text2video/:id', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(value(e, http, { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(value(e, http, { route: '/metrics', method: 'GET', status: '401' })).toBe(2);
    const routes = find(e, http).map((s) => s.labels.route ?? '');
    expect(routes.some((r) => r.includes(taskId) || r.includes('123'))).toBe(false);
    // A histogram's buckets are cumulative and end at +Inf = count.
    const buckets = find(e, 'reelay_http_request_duration_seconds_bucket', { route: '/v1/videos/text2video/:id', method: 'GET', status: '200' });
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
    expect(buckets.find((b) => b.labels.le === '+Inf')?.value).toBe(value(e, http, { route: '/v1/videos/text2video/:id', method: 'GET', status: '200' }));

    // Tasks by status and the queue, as the database has them.
    const counts = await taskCounts(server);
    expect(counts.completed).toBeGreaterThanOrEqual(1);
    for (const status of ['queued', 'running', 'completed', 'failed', 'canceled']) expect(value(e, 'reelay_tasks', { status })).toBe(counts[status]);
    expect(value(e, 'reelay_queue_depth')).toBe(counts.queued);
    expect(value(e, 'reelay_queue_oldest_age_seconds')).toBe(0);
    expect(value(e, 'reelay_database_metrics_ok')).toBe(1);

    // The ledger: one hold and its capture (the 3 s std clip), as the table sums them.
    const ledger = await ledgerCredits(server);
    expect(ledger.hold).toBeGreaterThan(0);
    for (const entry of ['hold', 'capture', 'release']) expect(value(e, 'reelay_ledger_credits', { entry })).toBeCloseTo(ledger[entry] as number, 6);

    // Webhooks: both deliveries sent, none failed.
    expect(value(e, 'reelay_webhook_delivery_lag_seconds_count')).toBe(2);
    expect(value(e, 'reelay_webhook_delivery_lag_seconds_sum')).toBeGreaterThan(0);
    expect(find(e, 'reelay_webhook_delivery_failures_total')).toEqual([]);

    // prom-client's defaults, on this server's own registry.
    expect(value(e, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(e, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(find(e, 'process_start_time_seconds')).toHaveLength(1);

    // Every Reelay metric says what it is.
    const own = [...e.types.keys()].filter((n) => n.startsWith('reelay_'));
    expect(own.length).toBeGreaterThanOrEqual(10);
    for (const name of own) expect(e.help.get(name)?.length ?? 0).toBeGreaterThan(20);
  });

  it('counts a failed webhook attempt by reason', async () => {
    receiver.respond('/broken', (_, n) => (n === 1 ? 503 : 200));
    const taskId = await createKlingTask(server, key.key, { prompt: 'a pier at night', callback_url: receiver.url('/broken') });
    await waitForKlingTask(server, `/v1/videos/text2video/${taskId}`, key.key);
    const e = await scrapeUntil(server, (x) => find(x, 'reelay_webhook_delivery_lag_seconds_count').some((s) => s.value >= 4));
    expect(value(e, 'reelay_webhook_delivery_failures_total', { reason: 'http_5xx', final: 'false' })).toBe(1);
  });

  it('shows a queued task in the queue depth and its age', async () => {
    await server.worker.stop();
    await createKlingTask(server, key.key, { prompt: 'nobody renders this' });
    await new Promise((r) => setTimeout(r, 200));
    const e = await scrape(server);
    expect(value(e, 'reelay_queue_depth')).toBe(1);
    expect(value(e, 'reelay_tasks', { status: 'queued' })).toBe(1);
    const age = value(e, 'reelay_queue_oldest_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0.2);
    expect(age).toBeLessThan(30);
  });
});

describe('upstream calls in /metrics', () => {
  let sim: KlingSim;
  let reelay: TestServer;
  let key: string;
  // No callbacks: a Kling callback would spare the status check this test counts.
  simTestSuite({ sim: { schedule: { submittedMs: 100, processingMs: 300 } }, channels: (s) => [simChannel(s, { callbacks: false })] }, (s) => ({ sim, reelay, key } = s));

  it('counts each call by provider, channel and outcome', async () => {
    // The first create is refused (1301, HTTP 400): the task fails; the second goes through.
    sim.setFaults({ createErrors: { 1301: 1 } });
    const refused = await createKlingTask(reelay, key, { prompt: 'refused upstream' });
    expect((await waitForKlingTask(reelay, `/v1/videos/text2video/${refused}`, key)).task_status).toBe('failed');
    sim.setFaults({});
    const accepted = await createKlingTask(reelay, key, { prompt: 'accepted upstream' });
    expect((await waitForKlingTask(reelay, `/v1/videos/text2video/${accepted}`, key)).task_status).toBe('succeed');

    const e = await scrape(reelay);
    const calls = 'reelay_upstream_requests_total';
    expect(e.types.get(calls)).toBe('counter');
    expect(value(e, calls, { provider: 'kling', channel: 'sim', outcome: '4xx' })).toBe(1);
    // A submit and at least one status check.
    const ok = value(e, calls, { provider: 'kling', channel: 'sim', outcome: 'ok' });
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(sim.stats().requests.create ?? 0).toBeGreaterThanOrEqual(2);
    const total = find(e, calls).reduce((n, s) => n + s.value, 0);
    expect(value(e, 'reelay_upstream_request_duration_seconds_count', { provider: 'kling', channel: 'sim' })).toBe(total);
  });
});

describe.runIf(postgresUrl)('GET /metrics on PostgreSQL', () => {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startPostgresTestServer(postgresUrl as string);
  });
  afterAll(async () => server?.stop());

  it('reads tasks by status and the ledger totals from PostgreSQL', async () => {
    const pg = server as TestServer;
    const tenant = await pg.createKey('pg');
    const taskId = await createKlingTask(pg, tenant.key, { prompt: 'a harbour' });
    expect((await waitForKlingTask(pg, `/v1/videos/text2video/${taskId}`, tenant.key)).task_status).toBe('succeed');
    const e = await scrapeUntil(pg, (x) => find(x, 'reelay_tasks', { status: 'completed' }).some((s) => s.value === 1));
    expect(value(e, 'reelay_database_metrics_ok')).toBe(1);
    expect(value(e, 'reelay_queue_depth')).toBe(0);
    const ledger = await ledgerCredits(pg);
    expect(ledger.capture).toBeGreaterThan(0);
    for (const entry of ['hold', 'capture', 'release']) expect(value(e, 'reelay_ledger_credits', { entry })).toBeCloseTo(ledger[entry] as number, 6);
  });
});
