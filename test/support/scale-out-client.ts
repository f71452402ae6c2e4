/**
 * For test/e2e/scale-out.test.ts: a client that creates Kling text2video tasks the way a careful
 * client does against several instances (an Idempotency-Key on every create; a connection failure
 * is retried on another instance with the same key; a 429 for the key's concurrency cap (1303) is
 * retried after Retry-After), and a sampler of the database while the run goes on.
 */
import { sql } from 'kysely';
import type { Db } from '../../src/store/database.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Created = {
  taskId: string;
  /** The instance that answered the create that counted. */
  answeredBy: string;
  /** The answer was a replay of an earlier attempt (`Idempotent-Replayed: true`). */
  replayed: boolean;
  connectionErrors: number;
  concurrencyRefusals: number;
  /**
   * 1102 (budget exhausted) answers for a key without a budget, or whose own message says the key
   * had enough left for the task: a refusal for the concurrency cap reported as the budget (see the test). Retried like a 1303
   * so that the run goes on; the test asserts there were none.
   */
  misreportedBudgetRefusals: string[];
};

export type Target = { name: string; url: string };

/**
 * Creates one task, starting on `targets()[first % n]` and moving to the next live instance on each
 * retry. Any answer but 200 or a 1303 fails the create (and the test).
 */
export async function createTask(options: {
  targets: () => Target[];
  first: number;
  key: string;
  /** False for a key without a budget: no 1102 can be right for it. */
  keyHasBudget: boolean;
  body: object;
  idempotencyKey: string;
  deadline: number;
}): Promise<Created> {
  const body = JSON.stringify(options.body);
  let connectionErrors = 0;
  let concurrencyRefusals = 0;
  const misreportedBudgetRefusals: string[] = [];
  for (let attempt = 0; ; attempt++) {
    if (Date.now() > options.deadline) throw new Error(`create ${options.idempotencyKey} still refused at the deadline (${concurrencyRefusals} refusals, ${connectionErrors} connection errors)`);
    const live = options.targets();
    const target = live[(options.first + attempt) % live.length] as Target;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${target.url}/v1/videos/text2video`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json', 'Idempotency-Key': options.idempotencyKey },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      text = await res.text();
    } catch {
      // The instance died under the request (or before it): whether the create committed is
      // unknown, which is what the Idempotency-Key is for.
      connectionErrors++;
      await sleep(20);
      continue;
    }
    const json = JSON.parse(text) as { code: number; message?: string; data?: { task_id: string } };
    if (res.status === 200 && json.code === 0 && json.data) {
      return { taskId: json.data.task_id, answeredBy: target.name, replayed: res.headers.get('idempotent-replayed') === 'true', connectionErrors, concurrencyRefusals, misreportedBudgetRefusals };
    }
    if (res.status === 429 && json.code === 1303) {
      concurrencyRefusals++;
      await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
      continue;
    }
    const budget = /needs ([\d.]+) credits .* has ([\d.]+) left/.exec(json.message ?? '');
    if (res.status === 429 && json.code === 1102 && (!options.keyHasBudget || (budget && Number(budget[2]) >= Number(budget[1])))) {
      misreportedBudgetRefusals.push(`${target.name}: ${json.message}`);
      await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
      continue;
    }
    throw new Error(`create ${options.idempotencyKey} on ${target.name}: ${res.status} ${text}`);
  }
}

/** Runs `work(i)` for i in [0, count) with at most `parallel` at once, in index order. */
export async function inPool(count: number, parallel: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

export type Samples = {
  count: number;
  /** Most tasks queued or running at once, per key id (read from `tasks`). */
  maxActivePerKey: Map<string, number>;
  /** Most tasks at once holding a slot of each channel (provider = channel, due_at set). */
  maxSlotsPerChannel: Map<string, number>;
  /** Worker id (the lease token's prefix) -> the tasks it was seen leasing, each with when first seen. */
  workers: Map<string, Map<string, number>>;
};

/** Reads the shared database every `everyMs` until stopped. */
export function startSampler(db: Db, everyMs: number): { stop(): Promise<Samples>; samples: Samples } {
  const samples: Samples = { count: 0, maxActivePerKey: new Map(), maxSlotsPerChannel: new Map(), workers: new Map() };
  const raise = (m: Map<string, number>, k: string, v: number) => m.set(k, Math.max(m.get(k) ?? 0, v));
  let stopped = false;
  let failure: unknown = null;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      // One statement each: a consistent snapshot of the table.
      const active = await sql<{ key_id: string; n: string }>`select key_id, count(*) as n from tasks where status in ('queued', 'running') group by key_id`.execute(db.kysely);
      for (const r of active.rows) raise(samples.maxActivePerKey, r.key_id, Number(r.n));
      const slots = await sql<{ provider: string; n: string }>`select provider, count(*) as n from tasks where due_at is not null and provider not in ('auto', 'preview') group by provider`.execute(db.kysely);
      for (const r of slots.rows) raise(samples.maxSlotsPerChannel, r.provider, Number(r.n));
      const leased = await sql<{ id: string; lease_token: string }>`select id, lease_token from tasks where lease_token is not null`.execute(db.kysely);
      for (const r of leased.rows) {
        const worker = r.lease_token.split('.')[0] as string;
        const tasks = samples.workers.get(worker) ?? new Map<string, number>();
        if (!tasks.has(r.id)) tasks.set(r.id, at);
        samples.workers.set(worker, tasks);
      }
      samples.count++;
      await sleep(Math.max(0, everyMs - (Date.now() - at)));
    }
  })().catch((e: unknown) => {
    // Kept for stop(): a sampler that stopped reading must fail the test, not pass it quietly.
    failure = e;
  });
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
      if (failure !== null) throw failure;
      return samples;
    },
  };
}
