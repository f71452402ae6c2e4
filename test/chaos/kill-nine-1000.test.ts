/**
 * Chaos (issue 8): kill -9 with 1,000 tasks spread over every state, restart, drain.
 *
 * Reelay runs as a child process on SQLite (a data dir) with one kling channel on the Kling
 * simulator (in this process; short schedules, 10 % failed renders, 3 % answers dropped after the
 * task was accepted, some latency) and the built-in preview renderer for kling-v3-turbo (the
 * kling channel has no turbo model). Three API keys, each with a default webhook URL on a
 * receiver in this process, create 1,000 Kling text2video tasks (3 s, std, 1:1: the cheapest
 * preview render); 40 of them are preview renders. A tenth are canceled at various ages (queued:
 * canceled at once; submitted or rendering: marked, they end canceled; already over: 409).
 *
 * When every create is answered and enough tasks have ended, Reelay is killed with SIGKILL while
 * the simulator accepts a submit (so one submit at least is accepted upstream and unknown to
 * Reelay), at the first accept that finds every state below present while no request of the test
 * is in flight. How fast work drains depends on the machine, so a state that has run out while
 * waiting is topped up (more creates past the channel's slots, more preview renders, more cancels
 * of tasks being rendered) rather than hoped for. The crash's leftovers are read from the database: tasks queued (unrouted, waiting for a
 * slot, preview not started), running (preview renders under way, remote tasks awaiting the
 * submit's answer or being polled), completed, failed, canceled, cancels pending. Reelay is
 * started again on the same data dir and port and drained until every task is terminal and every
 * delivery is delivered. Then:
 *
 * - 0 lost: every accepted create is a task in the database, terminal, and there are no others;
 * - 0 submitted twice upstream: the simulator refused no reused external_task_id and accepted
 *   each Reelay task at most once, and every sim task belongs to a Reelay task routed there;
 * - 0 billed twice: one hold per task, at most one capture and one release, captures only for
 *   completed tasks (their delivered seconds) and canceled ones the upstream had charged, failed
 *   ones refunded in full, every key balanced (test/support/chaos-crash-audit.ts);
 * - 0 deliveries lost: every delivery row is delivered and was heard, and the receiver heard
 *   every task's terminal event.
 *
 * SQLite only (the default embedded set-up; scale-out.test.ts kills an instance on PostgreSQL).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { startKlingSim, type KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { auditDeliveries, auditLedger, postCreate } from '../support/chaos-crash-audit.ts';
import { freePort, killHard, startChildServer, type ChildServer } from '../support/child-server.ts';
import { SIM_ACCESS_KEY, SIM_SECRET_KEY, simChannel } from '../support/kling-sim-server.ts';
import { inPool } from '../support/scale-out-client.ts';
import { tempDir } from '../support/temp-dir.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const TASKS = 1000;
/** Every 25th task is a preview render (40): about a second of CPU each on this 2-core machine. */
const PREVIEW_EVERY = 25;
const SIM_MODEL = 'kling-v3';
const PREVIEW_MODEL = 'kling-v3-turbo';
/** 3 s std: kling-v3 0.6 credits/s, kling-v3-turbo 0.8 (the default price table), in micro-credits. */
const PRICE_MICROS: Record<string, number> = { [SIM_MODEL]: 1_800_000, [PREVIEW_MODEL]: 2_400_000 };
const CLIENTS = 24;
const CHANNEL_MAX = 150;
/** Tasks i with i % 10 === 7 are canceled, `CANCEL_LAG[i % 3]` creates after their own. */
const CANCEL_LAG = [0, 40, 250];
/** Kill once this many tasks have ended (and every create and cancel is answered). */
const KILL_AFTER_ENDED = 150;

type Row = { id: string; public_id: string; key_id: string; model: string; status: string; provider: string; upstream_id: string | null; submit_started_at: number | null; cancel_requested_at: number | null; error_code: string | null };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const open = (r: Pick<Row, 'status'>) => r.status === 'queued' || r.status === 'running';

/** How many tasks are in each state that matters for the crash. */
function statesOf(rows: Row[]): Record<string, number> {
  const n = (f: (r: Row) => boolean) => rows.filter(f).length;
  return {
    queued: n((r) => r.status === 'queued'),
    running: n((r) => r.status === 'running'),
    completed: n((r) => r.status === 'completed'),
    failed: n((r) => r.status === 'failed'),
    canceled: n((r) => r.status === 'canceled'),
    // Waiting to be routed to a channel (no slot free yet).
    unrouted: n((r) => open(r) && r.provider === 'auto'),
    previewQueued: n((r) => r.provider === 'preview' && r.status === 'queued'),
    previewRendering: n((r) => r.provider === 'preview' && r.status === 'running'),
    previewEnded: n((r) => r.provider === 'preview' && !open(r)),
    // A submit begun whose answer Reelay has not recorded (in flight, dropped, or being looked up).
    awaitingSubmitAnswer: n((r) => open(r) && r.provider === 'sim' && r.upstream_id === null && r.submit_started_at !== null),
    // Accepted upstream, being polled (and called back).
    polled: n((r) => open(r) && r.provider === 'sim' && r.upstream_id !== null),
    cancelPending: n((r) => open(r) && r.cancel_requested_at !== null),
  };
}

describe('kill -9 with 1,000 tasks in every state, on SQLite', () => {
  const tmp = tempDir('reelay-chaos-kill-');
  let sim: KlingSim | undefined;
  let receiver: Receiver | undefined;
  let current: ChildServer | undefined;
  let db: Db | undefined;
  afterAll(async () => {
    if (current) await killHard(current.process);
    await db?.close();
    await Promise.allSettled([sim?.close(), receiver?.close()]);
    tmp.remove();
  });

  it('loses no task, submits none twice, bills none twice and loses no delivery', async () => {
    const t0 = Date.now();
    const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
    const simDir = path.join(tmp.dir, 'sim');
    const dataDir = path.join(tmp.dir, 'data');
    mkdirSync(simDir);
    mkdirSync(dataDir);
    // Armed when the crash may come: the simulator logs `task <id>: submitted` while it accepts a
    // create, before it answers, so a kill there leaves an accepted submit unknown to Reelay.
    let killOnAccept: (() => void) | null = null;
    sim = await startKlingSim({
      ffmpeg: ffmpeg.ffmpeg,
      workDir: simDir,
      seed: 8_1000,
      schedule: { submittedMs: 400, processingMs: 1200 },
      accounts: [{ accessKey: SIM_ACCESS_KEY, secretKey: SIM_SECRET_KEY, concurrency: 1000 }],
      faults: { taskFailureRate: 0.1, dropAfterAcceptRate: 0.03, latencyMs: { min: 5, max: 60 } },
      log: (line) => {
        if (killOnAccept && / submitted$/.test(line)) killOnAccept();
      },
    });
    receiver = await startReceiver();
    const config = path.join(tmp.dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        // A short lease: the killed worker's preview renders are taken up again 5 s after it died.
        worker: { concurrency: 2, remoteConcurrency: 48, leaseSeconds: 5, pollMilliseconds: 100 },
        // A delivery in flight at the kill is sent again when its lease ends.
        webhooks: { leaseSeconds: 12 },
        channels: [simChannel(sim, { max_concurrency: CHANNEL_MAX, requests_per_second: 400 })],
      }),
    );
    // The receiver is on 127.0.0.1.
    const env = { PORT: String(await freePort()), REELAY_DATA_DIR: dataDir, REELAY_CONFIG: config, REELAY_ALLOW_PRIVATE_URLS: 'true' };
    current = await startChildServer(env);
    const first = current;
    db = openDatabase({ url: null, dataDir });
    const master = readFileSync(path.join(dataDir, 'master.key'), 'utf8').trim();
    const keys: Array<{ id: string; key: string }> = [];
    for (const name of ['a', 'b', 'c']) {
      const res = await fetch(`${current.url}/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${master}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, webhook_url: receiver.url(`/hooks/${name}`) }),
      });
      expect(res.status).toBe(201);
      keys.push((await res.json()) as { id: string; key: string });
    }
    const keyOf = (i: number) => keys[i % keys.length] as { id: string; key: string };
    const started = Date.now();

    // --- 1,000 creates, a tenth of them canceled at various ages ---
    const ids: string[] = new Array(TASKS);
    const models: string[] = [];
    const modelOf = (i: number) => models[i] ?? (i % PREVIEW_EVERY === 0 ? PREVIEW_MODEL : SIM_MODEL);
    const cancelAfter = new Map<number, number[]>();
    for (let i = 7; i < TASKS; i += 10) {
      const at = i + (CANCEL_LAG[i % 3] as number);
      cancelAfter.set(at, [...(cancelAfter.get(at) ?? []), i]);
    }
    const cancelAnswers = new Map<string, number>();
    const cancel = async (i: number) => {
      const res = await fetch(`${first.url}/v1/tasks/${ids[i]}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${keyOf(i).key}` } });
      await res.text();
      expect([200, 409]).toContain(res.status);
      cancelAnswers.set(String(res.status), (cancelAnswers.get(String(res.status)) ?? 0) + 1);
    };
    const cancels: Array<Promise<void>> = [];
    const cancelAsked = new Set<number>();
    const askCancel = (j: number) => {
      cancelAsked.add(j);
      cancels.push(cancel(j));
    };
    let answered = 0;
    // Connection failures retried with the same Idempotency-Key.
    const client = { retries: 0 };
    const create = async (i: number) => {
      const model = modelOf(i);
      const res = await postCreate(`${first.url}/v1/videos/text2video`, keyOf(i).key, { model_name: model, prompt: `chaos #${i}`, duration: '3', mode: 'std', aspect_ratio: '1:1', sound: 'off' }, `chaos-${i}`, client);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      ids[i] = (JSON.parse(text) as { data: { task_id: string } }).data.task_id;
      answered++;
      for (const j of cancelAfter.get(i) ?? []) if (ids[j]) askCancel(j);
    };
    await inPool(TASKS, CLIENTS, create);
    // Those whose turn came after the last create (or before their own create was answered).
    for (let i = 7; i < TASKS; i += 10) if (!cancelAsked.has(i)) askCancel(i);
    await Promise.all(cancels);
    const createdAt = Date.now();
    expect(answered).toBe(TASKS);
    expect(new Set(ids).size).toBe(TASKS);

    // --- the crash: once enough have ended, during the next accepted submit ---
    const reader = db;
    const count = async (where: string) => Number((await reader.kysely.selectFrom('tasks').select((e) => e.fn.countAll<number>().as('n')).where((eb) => eb.or(where.split('|').map((s) => eb('status', '=', s)))).executeTakeFirstOrThrow()).n);
    const ready = Date.now() + 60_000;
    while ((await count('completed|failed|canceled')) < KILL_AFTER_ENDED) {
      if (Date.now() > ready) throw new Error(`only ${await count('completed|failed|canceled')} tasks ended in a minute:\n${first.output()}`);
      await sleep(50);
    }
    // Cancels that must still be pending at the kill: tasks the simulator is rendering (marked,
    // they end canceled, or stay failed, after the restart). Preview renders canceled earlier
    // stopped at their next lease renewal.
    const inFlight = await db.kysely
      .selectFrom('tasks')
      .select(['public_id', 'key_id'])
      .where('status', 'in', ['queued', 'running'])
      .where('upstream_id', 'is not', null)
      .where('cancel_requested_at', 'is', null)
      .limit(12)
      .execute();
    const lateCancels = new Set(inFlight.map((t) => t.public_id));
    await Promise.all(inFlight.map((t) => cancel(ids.indexOf(t.public_id))));
    const createdBeforeKill = ids.length;
    const child = first.process;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Decided synchronously inside the simulator's accept (better-sqlite3 reads synchronously):
    // the first accept at which every state is present in the database.
    const file = new SqliteDatabase(path.join(dataDir, 'reelay.db'), { readonly: true });
    const readRows = file.prepare('select id, public_id, key_id, model, status, provider, upstream_id, submit_started_at, cancel_requested_at, error_code from tasks');
    let looks = 0;
    let lastLook: Record<string, number> = {};
    // Requests of the test in flight: no kill then (an answer lost to the kill is not Reelay's loss).
    let busy = false;
    killOnAccept = () => {
      looks++;
      if (busy) return;
      lastLook = statesOf(readRows.all() as Row[]);
      if (!Object.values(lastLook).every((n) => n > 0)) return;
      killOnAccept = null;
      child.kill('SIGKILL');
    };
    const topUps = { creates: 0, previews: 0, cancels: 0 };
    const createMore = async (model: string) => {
      const i = ids.length;
      ids.push('');
      models[i] = model;
      if (model === PREVIEW_MODEL) topUps.previews++;
      else topUps.creates++;
      await create(i);
    };
    const topUp = async () => {
      while (killOnAccept) {
        const now = statesOf(readRows.all() as Row[]);
        const work: Array<Promise<void>> = [];
        // Everything synchronous up to here: no accept can slip between the look and `busy`.
        if (now.unrouted === 0 || now.queued === 0) for (let k = 0; k < CHANNEL_MAX + 10; k++) work.push(createMore(SIM_MODEL));
        if (now.previewQueued === 0 || now.previewRendering === 0) for (let k = 0; k < 4; k++) work.push(createMore(PREVIEW_MODEL));
        if (now.cancelPending === 0) {
          const polled = (readRows.all() as Row[]).filter((r) => open(r) && r.provider === 'sim' && r.upstream_id !== null && r.cancel_requested_at === null).slice(0, 3);
          for (const r of polled) {
            lateCancels.add(r.public_id);
            topUps.cancels++;
            work.push(cancel(ids.indexOf(r.public_id)));
          }
        }
        if (work.length > 0) {
          busy = true;
          await Promise.all(work);
          busy = false;
        }
        await sleep(100);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      topUp().then(() => exited),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no accepted submit found every state present within 60 s (${looks} looked at, the last: ${JSON.stringify(lastLook)}, topped up ${JSON.stringify(topUps)}):\n${first.output().slice(-3000)}`)), 60_000))),
    ]).finally(() => {
      killOnAccept = null;
      clearTimeout(timer);
      file.close();
    });
    const killedAt = Date.now();
    // A process killed by a signal keeps exitCode null: do not hand it to killHard again.
    current = undefined;
    const simAtKill = sim.stats();

    // What the crash left behind.
    const atKill = (await db.kysely
      .selectFrom('tasks')
      .select(['id', 'public_id', 'key_id', 'model', 'status', 'provider', 'upstream_id', 'submit_started_at', 'cancel_requested_at', 'error_code'])
      .execute()) as Row[];
    const states = statesOf(atKill);
    const crash = JSON.stringify({ states, looks, simAtKill: { accepted: simAtKill.createsAccepted, dropped: simAtKill.droppedResponses } });
    expect(ids).toHaveLength(createdBeforeKill + topUps.creates + topUps.previews);
    expect(new Set(ids).size).toBe(ids.length);
    expect(atKill).toHaveLength(ids.length);
    // Every state is represented at the kill.
    for (const [state, n] of Object.entries(states)) expect(n, `${state} at the kill: ${crash}`).toBeGreaterThan(0);

    // --- restart on the same data dir and port, drain ---
    current = await startChildServer(env);
    const restartedAt = Date.now();
    const drainBy = Date.now() + 150_000;
    while ((await count('queued|running')) > 0) {
      if (Date.now() > drainBy) {
        const stuck = await db.kysely.selectFrom('tasks').select(['id', 'status', 'provider', 'upstream_id', 'due_at', 'lease_token', 'submit_started_at', 'attempts']).where('status', 'in', ['queued', 'running']).execute();
        throw new Error(`tasks still open: ${JSON.stringify(stuck.slice(0, 20))}\n${current.output().slice(-5000)}`);
      }
      await sleep(100);
    }
    const terminalAt = Date.now();
    // A delivery in flight at the kill stays leased (12 s) before it is sent again.
    for (;;) {
      const pending = await db.kysely.selectFrom('deliveries').select(['id', 'due_at', 'attempts']).where('status', '=', 'pending').execute();
      if (pending.length === 0) break;
      if (Date.now() > drainBy) throw new Error(`deliveries still pending: ${JSON.stringify(pending.slice(0, 10))}`);
      await sleep(100);
    }
    const deliveredAt = Date.now();

    // --- 0 lost ---
    const rows = (await db.kysely.selectFrom('tasks').select(['id', 'public_id', 'key_id', 'model', 'status', 'provider', 'upstream_id', 'submit_started_at', 'cancel_requested_at', 'error_code']).execute()) as Row[];
    expect(rows).toHaveLength(ids.length);
    const byPublic = new Map(rows.map((r) => [r.public_id, r]));
    for (const [i, id] of ids.entries()) {
      const row = byPublic.get(id);
      expect(row, `create #${i}`).toBeDefined();
      expect(row?.key_id).toBe(keyOf(i).id);
      expect(row?.model).toBe(modelOf(i));
      expect(['completed', 'failed', 'canceled']).toContain(row?.status);
    }
    const previewRows = rows.filter((r) => r.model === PREVIEW_MODEL);
    const simRows = rows.filter((r) => r.model === SIM_MODEL);
    expect(previewRows.every((r) => r.provider === 'preview')).toBe(true);
    // Routed to the channel, or canceled before it was routed.
    expect(simRows.filter((r) => !(r.provider === 'sim' || (r.provider === 'auto' && r.status === 'canceled')))).toEqual([]);
    // A failure is a render the simulator failed, nothing else (no timeouts, no losses).
    const failures = new Map<string, number>();
    for (const r of rows.filter((x) => x.status === 'failed')) failures.set(r.error_code ?? '', (failures.get(r.error_code ?? '') ?? 0) + 1);
    expect([...failures.keys()]).toEqual(['upstream_failed']);
    // A canceled task is one the test asked to cancel.
    const askedToCancel = new Set([...[...cancelAsked].map((i) => ids[i]), ...lateCancels]);
    expect(rows.filter((r) => r.status === 'canceled' && !askedToCancel.has(r.public_id))).toEqual([]);

    // --- 0 submitted twice upstream ---
    const stats = sim.stats();
    expect(stats.duplicateExternalIds).toBe(0);
    expect(Object.values(stats.acceptedPerExternalId).every((n) => n === 1)).toBe(true);
    const simRouted = new Set(simRows.filter((r) => r.upstream_id !== null || r.submit_started_at !== null).map((r) => r.id));
    expect(Object.keys(stats.acceptedPerExternalId).filter((id) => !simRouted.has(id))).toEqual([]);
    for (const r of simRows.filter((x) => x.upstream_id !== null)) expect(sim.task(r.upstream_id ?? '')?.externalTaskId).toBe(r.id);
    // Only a task canceled before it was submitted never reached the simulator.
    const neverSent = simRows.filter((r) => stats.acceptedPerExternalId[r.id] === undefined);
    expect(neverSent.filter((r) => r.status !== 'canceled').map((r) => r.id)).toEqual([]);

    // --- 0 billed twice ---
    const money = await auditLedger(db.kysely, keys.map((k) => k.id), (t) => PRICE_MICROS[t.model] as number);

    // --- 0 deliveries lost ---
    const hooks = await auditDeliveries(db.kysely, receiver.received, ids);

    const final = Object.fromEntries(['completed', 'failed', 'canceled'].map((s) => [s, rows.filter((r) => r.status === s).length]));
    console.log(
      `kill-nine-1000: setup ${started - t0} ms, creates+cancels ${createdAt - started} ms (${client.retries} creates retried), kill at +${killedAt - started} ms (${looks} accepts looked at, topped up ${JSON.stringify(topUps)}), restart ${restartedAt - killedAt} ms, ` +
        `all terminal ${terminalAt - restartedAt} ms after the restart, all delivered ${deliveredAt - restartedAt} ms after, whole test ${Date.now() - t0} ms; ` +
        `at the kill ${JSON.stringify(states)}; cancel answers ${JSON.stringify(Object.fromEntries(cancelAnswers))}; final ${JSON.stringify(final)}; ` +
        `money ${JSON.stringify(money)}; deliveries ${JSON.stringify(hooks)}; ` +
        `sim ${JSON.stringify({ accepted: stats.createsAccepted, acceptedAtKill: simAtKill.createsAccepted, duplicates: stats.duplicateExternalIds, dropped: stats.droppedResponses, maxConcurrent: stats.maxConcurrent, callbacksSent: stats.callbacksSent, callbacksFailed: stats.callbacksFailed, requests: stats.requests, renders: stats.renders })}`,
    );
  }, 300_000);
});
