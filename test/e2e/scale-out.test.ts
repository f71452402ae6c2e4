/**
 * Issue 7's "must show": three Reelay processes on one PostgreSQL schema and one S3 server (s3rver),
 * with one Kling channel on the simulator (in this process). 300 tasks are created round robin
 * over the instances, by four API keys with concurrency caps, one with a budget exactly enough for
 * its tasks; a sixth of them go to the built-in preview renderer (kling-v3-turbo: no channel
 * serves it), the rest to the simulator (kling-v3). The client sends an Idempotency-Key with every
 * create, retries a 1303 (the key's cap) after Retry-After, and retries on another instance when
 * the connection fails. When half the creates are answered, one instance is killed with SIGKILL
 * (no drain, its leases left behind); the rest of the creates go to the other two, which must
 * take over the dead one's leased tasks once their leases (5 s) expire. When every task has ended,
 * the killed instance is started again (same port, same data dir), and the test proves:
 *
 * 1. every create made exactly one task, and every task completed exactly once: one capture in
 *    the ledger and one delivered `completed` webhook row per task;
 * 2. no upstream task was submitted twice: the simulator saw each sim-routed task's id once, and
 *    exactly as many tasks as were routed to it;
 * 3. every video is downloadable from every instance (the restarted one included): the status read
 *    on that instance links to that instance, the link redirects (302) to a presigned GET on the
 *    S3 server, and the bytes are an MP4 of the stored object's size;
 * 4. budgets and caps held across instances: each key's ledger balances and it never spent past
 *    its budget (the budget key spent exactly its budget, and one more create is refused with
 *    1102 at HTTP 429); sampled every 100 ms from the database, no key ever had more tasks queued
 *    or running than its max_concurrency, and the channel never held more slots than its
 *    max_concurrency; the simulator never saw more tasks of the account at once than that either.
 *
 * Runs where PostgreSQL is (REELAY_TEST_DATABASE_URL); skipped otherwise.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { startKlingSim, type KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { expectBalanced } from '../support/billing.ts';
import { postgresUrl } from '../support/databases.ts';
import { SIM_ACCESS_KEY, SIM_SECRET_KEY, simChannel } from '../support/kling-sim-server.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { createTask, inPool, startSampler, type Created } from '../support/scale-out-client.ts';
import { startCluster, type Cluster, type Instance } from '../support/scale-out-cluster.ts';
import { tempDir } from '../support/temp-dir.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const TASKS = 300;
/** SIGKILL one instance once this many creates have been answered. */
const KILL_AFTER = 150;
/** Client requests in flight at once. */
const CLIENTS = 40;
/** The simulator channel's slots (the simulator account itself would take far more). */
const CHANNEL_MAX = 32;
const PREVIEW_MODEL = 'kling-v3-turbo';
const SIM_MODEL = 'kling-v3';
/** Std tier, 3 s: kling-v3 0.6 credits/s, kling-v3-turbo 0.8 (the default price table). */
const HOLD_CREDITS = { [SIM_MODEL]: 1.8, [PREVIEW_MODEL]: 2.4 } as const;

type KeyPlan = { name: string; maxConcurrency: number; budgetCredits: number | null; rpm: number | null };
const KEY_PLANS: KeyPlan[] = [
  { name: 'a', maxConcurrency: 14, budgetCredits: 1000, rpm: null },
  { name: 'b', maxConcurrency: 20, budgetCredits: 1000, rpm: 100_000 },
  { name: 'c', maxConcurrency: 30, budgetCredits: null, rpm: null },
  // Its budget is set to exactly what its tasks cost (below).
  { name: 'd', maxConcurrency: 5, budgetCredits: 0, rpm: null },
];

/** Task i: a sixth go to the preview renderer (50, about 1.5 s of CPU each); key d gets every tenth, a, b, c share the rest. */
function planOf(i: number): { key: string; model: typeof SIM_MODEL | typeof PREVIEW_MODEL } {
  const model = i % 6 === 5 ? PREVIEW_MODEL : SIM_MODEL;
  const key = i % 20 === 4 || i % 20 === 13 ? 'd' : (['a', 'b', 'c'][i % 3] as string);
  return { key, model };
}

type CreatedKey = { id: string; key: string; plan: KeyPlan };
type KlingData = { task_id: string; task_status: string; task_status_msg: string; task_result?: { videos: Array<{ url: string; duration: string }> } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const toMicros = (credits: number) => Math.round(credits * 1_000_000);

describe.skipIf(!postgresUrl)('scale-out: 3 instances on one PostgreSQL and one S3, one killed with SIGKILL half-way (needs REELAY_TEST_DATABASE_URL; skipped without it)', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let sim: KlingSim | undefined;
  let s3: TestS3Server | undefined;
  let receiver: Receiver | undefined;
  let cluster: Cluster | undefined;
  let sampler: ReturnType<typeof startSampler> | undefined;
  afterAll(async () => {
    await sampler?.stop().catch(() => undefined);
    await cluster?.stop();
    await Promise.allSettled([sim?.close(), s3?.stop(), receiver?.close()]);
    tmp?.remove();
  });

  it('completes 300 tasks exactly once, never submits twice upstream, serves every video from every instance, never exceeds a budget or a cap', async () => {
    const t0 = Date.now();
    tmp = tempDir('reelay-scale-out-');
    const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
    sim = await startKlingSim({
      ffmpeg: ffmpeg.ffmpeg,
      workDir: tmp.dir,
      schedule: { submittedMs: 200, processingMs: 1000 },
      // Room for far more than the channel allows: only Reelay's own cap keeps the count down.
      accounts: [{ accessKey: SIM_ACCESS_KEY, secretKey: SIM_SECRET_KEY, concurrency: 1000 }],
    });
    s3 = await startS3Server();
    receiver = await startReceiver();
    cluster = await startCluster({
      count: 3,
      postgresUrl: postgresUrl as string,
      s3,
      dir: tmp.dir,
      // The webhook receiver is on 127.0.0.1.
      env: { REELAY_ALLOW_PRIVATE_URLS: 'true' },
      configFile: {
        // One preview render per process (2 cores, 3 processes); a short lease, so the killed
        // instance's tasks are taken over within seconds.
        worker: { concurrency: 1, leaseSeconds: 5, pollMilliseconds: 200 },
        channels: [simChannel(sim, { max_concurrency: CHANNEL_MAX, requests_per_second: 100 })],
      },
    });
    const { instances, db } = cluster;
    const started = Date.now();

    // The plan, and key d's budget: exactly what its tasks hold.
    const plans = Array.from({ length: TASKS }, (_, i) => planOf(i));
    const dBudget = plans.filter((p) => p.key === 'd').reduce((sum, p) => sum + toMicros(HOLD_CREDITS[p.model]), 0) / 1_000_000;
    const keys = new Map<string, CreatedKey>();
    for (const [n, plan] of KEY_PLANS.entries()) {
      const budget = plan.name === 'd' ? dBudget : plan.budgetCredits;
      // Each key made on another instance: they all share the keys (and their secrets).
      const res = await fetch(`${(instances[n % 3] as Instance).url}/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cluster.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: plan.name, max_concurrency: plan.maxConcurrency, budget_credits: budget, rpm: plan.rpm, webhook_url: receiver.url(`/hooks/${plan.name}`) }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const body = (await res.json()) as { id: string; key: string };
      keys.set(plan.name, { id: body.id, key: body.key, plan: { ...plan, budgetCredits: budget } });
    }
    const keyOf = (name: string) => keys.get(name) as CreatedKey;

    sampler = startSampler(db, 100);
    const victim = instances[2] as Instance;
    let answered = 0;
    let killing: Promise<void> | null = null;
    let killedAt = 0;
    let atKill: Array<{ id: string; lease_token: string | null; status: string; provider: string }> = [];
    const kill = async () => {
      await cluster?.kill(victim);
      killedAt = Date.now();
      // What it left behind: its leases stay in the table until they expire and others claim the tasks.
      atKill = (await sql<{ id: string; lease_token: string | null; status: string; provider: string }>`select id, lease_token, status, provider from tasks`.execute(db.kysely)).rows;
    };

    // Submit: round robin over the live instances, the victim dies half-way.
    const created: Created[] = new Array(TASKS);
    const deadline = Date.now() + 150_000;
    const submitting = inPool(TASKS, CLIENTS, async (i) => {
      const plan = plans[i] as (typeof plans)[number];
      created[i] = await createTask({
        targets: () => cluster?.live() ?? [],
        // Round robin over all three while they are up; over the two survivors after.
        first: i,
        key: keyOf(plan.key).key,
        keyHasBudget: keyOf(plan.key).plan.budgetCredits !== null,
        body: { model_name: plan.model, prompt: `scale-out #${i}`, duration: '3', mode: 'std', aspect_ratio: '1:1' },
        idempotencyKey: `scale-out-${i}`,
        deadline,
      });
      answered++;
      if (answered === KILL_AFTER) killing = kill();
    });
    await submitting.catch(async (e: unknown) => {
      // Say what the database holds: a create that made two tasks, a key's money.
      const twice = await sql`select request::json->>'prompt' as prompt, count(*) as n, array_agg(public_id) as ids from tasks group by 1 having count(*) > 1`.execute(db.kysely);
      const money = await sql`select name, budget_micros, spent_micros, held_micros, active_tasks, (select count(*) from tasks t where t.key_id = k.id) as tasks from api_keys k`.execute(db.kysely);
      throw new Error(`${(e as Error).message}\ntasks made twice: ${JSON.stringify(twice.rows)}\nkeys: ${JSON.stringify(money.rows)}\nanswered ${answered}, killed at ${killedAt ? killedAt - started : '-'} ms`);
    });
    await killing;
    const submittedAt = Date.now();
    expect(killedAt).toBeGreaterThan(0);

    // Wait until every task has ended (the two survivors do all the work now).
    const doneBy = Date.now() + 120_000;
    for (;;) {
      const open = await sql<{ n: string }>`select count(*) as n from tasks where status in ('queued', 'running')`.execute(db.kysely);
      if (Number(open.rows[0]?.n) === 0) break;
      if (Date.now() > doneBy) {
        const rows = await sql`select id, status, provider, upstream_id, lease_token, due_at, attempts from tasks where status in ('queued', 'running')`.execute(db.kysely);
        throw new Error(`tasks still open: ${JSON.stringify(rows.rows)}\n${instances.map((x) => x.child?.output() ?? '').join('\n')}`);
      }
      await sleep(200);
    }
    const terminalAt = Date.now();
    // ...and every delivery has been made (one the victim had leased waits for its 30 s lease to pass).
    for (;;) {
      const pending = await sql<{ n: string }>`select count(*) as n from deliveries where status = 'pending'`.execute(db.kysely);
      if (Number(pending.rows[0]?.n) === 0) break;
      if (Date.now() > doneBy) throw new Error(`deliveries still pending: ${pending.rows[0]?.n}`);
      await sleep(200);
    }
    const samples = await sampler.stop();

    // The budget boundary: key d's budget is spent to the last micro-credit, one more create is refused.
    const refused = await fetch(`${(cluster.live()[0] as Instance).url}/v1/videos/text2video`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyOf('d').key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model_name: SIM_MODEL, prompt: 'one too many', duration: '3', mode: 'std', aspect_ratio: '1:1' }),
    });
    const refusedBody = (await refused.json()) as { code: number; message: string };
    expect([refused.status, refusedBody.code], refusedBody.message).toEqual([429, 1102]);

    // --- 1. every create made one task, and each completed exactly once ---
    const rows = await db.kysely.selectFrom('tasks').select(['id', 'public_id', 'key_id', 'model', 'status', 'provider', 'upstream_id', 'request', 'error_message', 'attempts', 'created_at', 'started_at', 'finished_at']).execute();
    expect(rows).toHaveLength(TASKS);
    const byPublic = new Map(rows.map((r) => [r.public_id, r]));
    expect(new Set(created.map((c) => c.taskId)).size).toBe(TASKS);
    for (const [i, c] of created.entries()) {
      const row = byPublic.get(c.taskId);
      expect(row, `create #${i}`).toBeDefined();
      expect((JSON.parse(row?.request ?? '{}') as { prompt: string }).prompt).toBe(`scale-out #${i}`);
      expect(row?.key_id).toBe(keyOf((plans[i] as (typeof plans)[number]).key).id);
    }
    const notCompleted = rows.filter((r) => r.status !== 'completed').map((r) => ({ id: r.id, status: r.status, provider: r.provider, error: r.error_message }));
    expect(notCompleted).toEqual([]);
    const previewRows = rows.filter((r) => r.model === PREVIEW_MODEL);
    const simRows = rows.filter((r) => r.model === SIM_MODEL);
    expect(previewRows.every((r) => r.provider === 'preview')).toBe(true);
    expect(simRows.every((r) => r.provider === 'sim' && r.upstream_id !== null)).toBe(true);
    expect([previewRows.length, simRows.length]).toEqual([plans.filter((p) => p.model === PREVIEW_MODEL).length, plans.filter((p) => p.model === SIM_MODEL).length]);

    const captures = await sql<{ task_id: string; n: string }>`select task_id, count(*) as n from ledger where entry = 'capture' group by task_id`.execute(db.kysely);
    expect(captures.rows).toHaveLength(TASKS);
    expect(captures.rows.every((r) => Number(r.n) === 1)).toBe(true);

    const deliveries = await db.kysely.selectFrom('deliveries').select(['task_id', 'event', 'status']).where('event', '=', 'completed').execute();
    const completedDeliveries = new Map<string, string[]>();
    for (const d of deliveries) completedDeliveries.set(d.task_id, [...(completedDeliveries.get(d.task_id) ?? []), d.status]);
    expect(completedDeliveries.size).toBe(TASKS);
    for (const r of rows) expect(completedDeliveries.get(r.id), `completed delivery of ${r.id}`).toEqual(['delivered']);
    // The receiver heard of every completion (at least once: a sender killed between the POST and
    // recording it may leave one to be sent again).
    const heard = new Map<string, number>();
    for (const req of receiver.received) {
      const body = JSON.parse(req.body) as { task_id: string; task_status: string };
      if (body.task_status === 'succeed') heard.set(body.task_id, (heard.get(body.task_id) ?? 0) + 1);
    }
    for (const c of created) expect(heard.get(c.taskId) ?? 0, `webhook for ${c.taskId}`).toBeGreaterThanOrEqual(1);
    // A repeat can only be a delivery the victim sent but did not live to record: first heard
    // before the kill, and sent again after its lease (30 s) expired, on a second attempt.
    const repeated = [...heard.entries()].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of repeated) {
      const times = receiver.received.filter((r) => r.body.includes(`"task_id":"${id}"`) && r.body.includes('"succeed"')).map((r) => r.at);
      const row = await db.kysely.selectFrom('deliveries').select('attempts').where('task_id', '=', byPublic.get(id)?.id ?? '').where('event', '=', 'completed').executeTakeFirstOrThrow();
      expect({ id, firstBeforeKill: (times[0] ?? 0) <= killedAt, attempts: row.attempts >= 2 }).toEqual({ id, firstBeforeKill: true, attempts: true });
    }
    const webhookRepeats = repeated.length;

    // --- 2. never submitted twice upstream ---
    const stats = sim.stats();
    expect(stats.duplicateExternalIds).toBe(0);
    expect(Object.values(stats.acceptedPerExternalId).every((n) => n === 1)).toBe(true);
    expect(Object.keys(stats.acceptedPerExternalId).sort()).toEqual(simRows.map((r) => r.id).sort());
    expect(stats.createsAccepted).toBe(simRows.length);
    for (const r of simRows) expect(sim.task(r.upstream_id ?? '')?.externalTaskId).toBe(r.id);

    // --- 4. budgets and caps ---
    for (const k of keys.values()) {
      const money = await expectBalanced(db.kysely, k.id);
      expect(money.activeTasks).toBe(0);
      if (k.plan.budgetCredits !== null) expect(money.spentMicros).toBeLessThanOrEqual(toMicros(k.plan.budgetCredits));
      expect(samples.maxActivePerKey.get(k.id) ?? 0, `key ${k.plan.name}: most tasks at once`).toBeLessThanOrEqual(k.plan.maxConcurrency);
    }
    expect((await expectBalanced(db.kysely, keyOf('d').id)).spentMicros).toBe(toMicros(dBudget));
    expect(samples.maxSlotsPerChannel.get('sim') ?? 0).toBeLessThanOrEqual(CHANNEL_MAX);
    expect(stats.maxConcurrent[SIM_ACCESS_KEY]).toBeLessThanOrEqual(CHANNEL_MAX);
    // The caps were really reached (else they proved nothing).
    expect(samples.maxSlotsPerChannel.get('sim')).toBe(CHANNEL_MAX);
    expect(samples.maxActivePerKey.get(keyOf('d').id)).toBe(keyOf('d').plan.maxConcurrency);

    // What the kill left behind, and who took it over: lease tokens are `<worker id>.<random>`.
    const workerOf = (token: string) => token.split('.')[0] as string;
    const before = new Set([...samples.workers.keys()]);
    const leasedAtKill = atKill.filter((r) => r.lease_token !== null);
    const workersAtKill = new Set(leasedAtKill.map((r) => workerOf(r.lease_token as string)));
    // The dead worker leases nothing new after the kill: the only leases of it seen since are the ones it left.
    const leftBy = (w: string) => new Set(leasedAtKill.filter((r) => workerOf(r.lease_token as string) === w).map((r) => r.id));
    const dead = [...workersAtKill].filter((w) => [...(samples.workers.get(w) ?? new Map<string, number>())].every(([id, first]) => first < killedAt || leftBy(w).has(id)));
    expect(dead, JSON.stringify([...before])).toHaveLength(1);
    const orphaned = leasedAtKill.filter((r) => workerOf(r.lease_token as string) === dead[0]);
    const takenOver = orphaned.filter((r) => [...samples.workers.entries()].some(([w, tasks]) => w !== dead[0] && (tasks.get(r.id) ?? 0) > killedAt));

    // --- 3. every video from every instance, the killed one restarted ---
    await cluster.restart(victim);
    const restartedAt = Date.now();
    const s3client = s3.client();
    const ownerKey = new Map(rows.map((r) => [r.public_id, [...keys.values()].find((k) => k.id === r.key_id)?.key as string]));
    const storedSize = new Map<string, number>();
    let downloads = 0;
    const checks = instances.flatMap((inst) => created.map((c) => ({ inst, id: c.taskId })));
    await inPool(checks.length, 16, async (n) => {
      const { inst, id } = checks[n] as (typeof checks)[number];
      const res = await fetch(`${inst.url}/v1/videos/text2video/${id}`, { headers: { authorization: `Bearer ${ownerKey.get(id)}` } });
      const text = await res.text();
      expect(res.status, `GET ${id} on ${inst.name}: ${text}\n${inst.child?.output().slice(-3000)}`).toBe(200);
      const data = (JSON.parse(text) as { data: KlingData }).data;
      expect(data.task_status).toBe('succeed');
      const link = data.task_result?.videos[0]?.url ?? '';
      expect(link.startsWith(`${inst.url}/media/`), link).toBe(true);
      const objectKey = decodeURIComponent(new URL(link).pathname.replace(/^\/media\//, ''));
      if (!storedSize.has(objectKey)) {
        const head = await s3client.send(new HeadObjectCommand({ Bucket: s3?.bucket, Key: objectKey }));
        storedSize.set(objectKey, Number(head.ContentLength));
      }
      const redirect = await fetch(link, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      const location = redirect.headers.get('location') ?? '';
      expect(location.startsWith(`${s3?.endpoint}/${s3?.bucket}/`), location).toBe(true);
      const video = await fetch(location);
      expect(video.status).toBe(200);
      const bytes = Buffer.from(await video.arrayBuffer());
      expect(bytes.length).toBe(storedSize.get(objectKey));
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
      downloads++;
    });
    expect(downloads).toBe(3 * TASKS);
    const checkedAt = Date.now();

    const meanMs = (rs: typeof rows, from: 'created_at' | 'started_at') => Math.round(rs.reduce((a, r) => a + ((r.finished_at ?? 0) - (r[from] ?? 0)), 0) / rs.length);
    const misreported = created.flatMap((c) => c.misreportedBudgetRefusals);
    const perInstance = Object.fromEntries(instances.map((x) => [x.name, created.filter((c) => c.answeredBy === x.name).length]));
    console.log(
      `scale-out: setup ${started - t0} ms, creates ${submittedAt - started} ms (kill after ${killedAt - started} ms), all terminal ${terminalAt - started} ms, downloads ${checkedAt - restartedAt} ms; ` +
        `mean preview task ${meanMs(previewRows, 'created_at')} ms (render ${meanMs(previewRows, 'started_at')} ms), sim task ${meanMs(simRows, 'created_at')} ms (running ${meanMs(simRows, 'started_at')} ms); ` +
        `creates answered per instance ${JSON.stringify(perInstance)} (victim ${victim.name}); ` +
        `client: ${created.filter((c) => c.replayed).length} replays, ${created.reduce((a, c) => a + c.connectionErrors, 0)} connection errors, ${created.reduce((a, c) => a + c.concurrencyRefusals, 0)} concurrency 429s, ${misreported.length} misreported budget 429s; ` +
        `at the kill: ${atKill.filter((r) => r.status === 'queued' || r.status === 'running').length} tasks open, ${orphaned.length} leased by the victim (${orphaned.filter((r) => r.provider === 'preview').length} preview renders), ${takenOver.length} taken over by survivors; ` +
        `workers seen ${before.size}; max active per key ${JSON.stringify(Object.fromEntries([...keys.values()].map((k) => [`${k.plan.name}(cap ${k.plan.maxConcurrency})`, samples.maxActivePerKey.get(k.id)])))}, ` +
        `max channel slots ${samples.maxSlotsPerChannel.get('sim')} (cap ${CHANNEL_MAX}), ${samples.count} samples; webhook repeats ${webhookRepeats}; ` +
        `sim ${JSON.stringify({ accepted: stats.createsAccepted, duplicates: stats.duplicateExternalIds, maxConcurrent: stats.maxConcurrent, refusals: stats.concurrencyRefusals, callbacksSent: stats.callbacksSent, callbacksFailed: stats.callbacksFailed, requests: stats.requests, renders: stats.renders })}`,
    );

    // A key at its concurrency cap must be told so (1303, retry later), never that its budget is
    // exhausted (1102, final) while its budget still covers the task. Checked last, so that a run
    // that meets it has checked everything else first.
    expect(misreported, 'creates refused for the budget while the key had enough left').toEqual([]);
  }, 240_000);
});
