/**
 * kill -9 in the middle of submitting to the Kling simulator. Reelay runs as a child process (so
 * it can die for real) with one kling channel (max_concurrency 4) on a simulator in this process
 * that drops 30 % of its create answers after accepting the task. Twelve tasks are created;
 * Reelay is killed while the simulator accepts a create (the first after all twelve exist, and
 * not before the third), so that submit is accepted upstream but unknown to Reelay, others await
 * a lookup after a dropped answer or hold a slot, and the rest wait for one. Reelay is then
 * started again on the same data dir and port. Every task must still end, none may be accepted
 * upstream twice (the restarted worker looks a half-submitted task up by its id instead of
 * submitting it again), and the account never runs more than the channel's max_concurrency.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { startKlingSim, type KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { freePort, killHard, startChildServer, type ChildServer } from '../support/child-server.ts';
import { SIM_ACCESS_KEY, simChannel } from '../support/kling-sim-server.ts';
import { tempDir } from '../support/temp-dir.ts';

const TASKS = 12;
const MAX_CONCURRENCY = 4;
/** With this seed the simulator drops the answers to accepted creates #2, #4, #8, #9, #11 and #12. */
const SEED = 3;
/** Reelay is killed while the simulator accepts a create: the first after all tasks exist, and not before this one. */
const KILL_ON_ACCEPT_AT_LEAST = 3;

type KlingData = { task_id: string; task_status: string; task_status_msg: string; task_result?: { videos: unknown[] } };
type TaskRow = { id: string; public_id: string; status: string; provider: string; upstream_id: string | null; error_code: string | null; error_message: string | null };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 while tasks are being submitted to a Kling channel', () => {
  const tmp = tempDir('reelay-sim-restart-');
  let sim: KlingSim | undefined;
  let current: ChildServer | undefined;
  afterAll(async () => {
    if (current) await killHard(current.process);
    await sim?.close();
    tmp.remove();
  });

  it('finishes every task after the restart, each accepted upstream exactly once, never above max_concurrency', async () => {
    const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
    const simDir = path.join(tmp.dir, 'sim');
    const dataDir = path.join(tmp.dir, 'data');
    mkdirSync(simDir);
    mkdirSync(dataDir);
    // The simulator logs `task <id>: submitted` synchronously while it handles an accepted create,
    // before it answers: killing Reelay right there crashes it mid-submit, deterministically.
    let killOnAccept: (() => void) | null = null;
    let killAt = Number.POSITIVE_INFINITY;
    const acceptedExternalIds: string[] = [];
    sim = await startKlingSim({
      ffmpeg: ffmpeg.ffmpeg,
      workDir: simDir,
      seed: SEED,
      schedule: { submittedMs: 300, processingMs: 1500 },
      faults: { dropAfterAcceptRate: 0.3 },
      log: (line) => {
        const m = /^task (\S+): submitted$/.exec(line);
        if (!m?.[1]) return;
        acceptedExternalIds.push(sim?.task(m[1])?.externalTaskId ?? '');
        if (acceptedExternalIds.length === killAt) killOnAccept?.();
      },
    });

    const config = path.join(tmp.dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        // A short lease, so the killed worker's claims expire soon after the restart.
        worker: { leaseSeconds: 5, pollMilliseconds: 100 },
        channels: [simChannel(sim, { max_concurrency: MAX_CONCURRENCY })],
      }),
    );
    const env = { PORT: String(await freePort()), REELAY_DATA_DIR: dataDir, REELAY_CONFIG: config };
    const started = Date.now();
    current = await startChildServer(env);
    const key = readFileSync(path.join(dataDir, 'master.key'), 'utf8').trim();
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const read = async (url: string, id: string): Promise<KlingData> => {
      const res = await fetch(`${url}/v1/videos/text2video/${id}`, { headers });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: KlingData }).data;
    };

    // Twelve identical-shape clips (the simulator renders one MP4 for all of them).
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      const res = await fetch(`${current.url}/v1/videos/text2video`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model_name: 'kling-v3', prompt: `restart clip ${i}`, duration: '3', mode: 'std' }),
      });
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as { data: { task_id: string } }).data.task_id);
    }
    expect(new Set(ids).size).toBe(TASKS);

    // Reelay began submitting while the tasks were created. Pull the plug while the simulator
    // accepts the next create (at least #3): that task exists upstream but Reelay never hears of
    // it; typically #2's answer was dropped too (an ambiguous submit awaiting its lookup), a slot
    // may be taken by a submit still waiting on the pacer, and the rest wait for a slot.
    killAt = Math.max(acceptedExternalIds.length + 1, KILL_ON_ACCEPT_AT_LEAST);
    const first = current;
    const child = first.process;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killOnAccept = () => {
      killOnAccept = null;
      child.kill('SIGKILL');
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Reelay never got ${killAt} tasks accepted upstream:\n${first.output()}`)), 20_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const killedAt = Date.now();
    // Do not hand this process to killHard again: a process killed by a signal keeps exitCode
    // null, so killHard would wait for an exit that already happened.
    current = undefined;
    const atKill = sim.stats();
    expect(atKill.createsAccepted).toBe(killAt);
    const killedMidSubmit = acceptedExternalIds[killAt - 1] ?? '';

    // What the crash left behind, read from the dead process's database.
    const dbAtKill = new SqliteDatabase(path.join(dataDir, 'reelay.db'), { readonly: true });
    const atCrash = dbAtKill.prepare('select id, status, provider, upstream_id, due_at, lease_token, submit_started_at from tasks').all() as Array<
      TaskRow & { due_at: number | null; lease_token: string | null; submit_started_at: number | null }
    >;
    dbAtKill.close();
    const describeCrash = JSON.stringify({ acceptedExternalIds, atCrash }, null, 1);
    // The task the simulator was accepting: its slot taken and its submit begun, its upstream id unknown.
    expect(atCrash.find((r) => r.id === killedMidSubmit), describeCrash).toMatchObject({ status: 'queued', provider: 'sim', upstream_id: null });
    // Submits begun but unresolved, of which at least that one exists upstream.
    const limbo = atCrash.filter((r) => r.provider === 'sim' && r.upstream_id === null && r.due_at !== null);
    expect(limbo.filter((r) => sim?.task(r.id) !== undefined).length, describeCrash).toBeGreaterThanOrEqual(1);
    // Never more than max_concurrency slots held (finished tasks hold none); others still queued, unrouted.
    const holding = atCrash.filter((r) => r.provider === 'sim' && r.due_at !== null);
    expect(holding.length, describeCrash).toBeLessThanOrEqual(MAX_CONCURRENCY);
    const unrouted = atCrash.filter((r) => r.provider === 'auto' && r.status === 'queued').length;
    expect(unrouted, describeCrash).toBeGreaterThan(0);
    expect(unrouted + atCrash.filter((r) => r.provider === 'sim').length).toBe(TASKS);

    current = await startChildServer(env);
    const restartedAt = Date.now();
    const deadline = Date.now() + 30_000;
    let finals: KlingData[] = [];
    for (;;) {
      finals = await Promise.all(ids.map((id) => read(current?.url ?? '', id)));
      if (finals.every((d) => d.task_status === 'succeed' || d.task_status === 'failed')) break;
      if (Date.now() > deadline) {
        throw new Error(`not terminal: ${JSON.stringify(finals.map((d) => [d.task_id, d.task_status]))}\nsim: ${JSON.stringify(sim.tasks())}\nbefore the crash:\n${first.output()}\nafter:\n${current.output()}`);
      }
      await sleep(200);
    }
    const doneAt = Date.now();

    const db = new SqliteDatabase(path.join(dataDir, 'reelay.db'), { readonly: true });
    const rows = db.prepare('select id, public_id, status, provider, upstream_id, error_code, error_message from tasks').all() as TaskRow[];
    db.close();
    expect(rows).toHaveLength(TASKS);

    // Every task ended; a failure (none expected here) must carry its reason.
    const failed = finals.filter((d) => d.task_status === 'failed');
    for (const f of failed) expect(f.task_status_msg.length, `task ${f.task_id} failed without a reason`).toBeGreaterThan(0);
    for (const r of rows.filter((x) => x.status === 'failed')) {
      expect(r.error_code).toBeTruthy();
      expect(r.error_message ?? '').not.toBe('');
    }
    // Nothing in this run may legitimately fail: no refusals, no render failures, lookups find dropped tasks.
    expect(
      finals.filter((d) => d.task_status !== 'succeed').map((d) => ({ id: d.task_id, status: d.task_status, msg: d.task_status_msg })),
      current.output(),
    ).toEqual([]);
    for (const d of finals) expect(d.task_result?.videos).toHaveLength(1);

    // Never submitted twice across the crash: one upstream task per Reelay task, and it is the one Reelay kept.
    const stats = sim.stats();
    expect(stats.duplicateExternalIds).toBe(0);
    expect(Object.values(stats.acceptedPerExternalId).every((n) => n === 1)).toBe(true);
    expect(Object.keys(stats.acceptedPerExternalId).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(stats.createsAccepted).toBe(TASKS);
    for (const r of rows) {
      expect(r.provider).toBe('sim');
      expect(sim.task(r.upstream_id ?? '')?.externalTaskId).toBe(r.id);
    }
    // The dropped answers really happened (the lookup path was exercised), and the account never ran more than the channel allows.
    expect(stats.droppedResponses).toBeGreaterThan(0);
    expect(stats.maxConcurrent[SIM_ACCESS_KEY]).toBeLessThanOrEqual(MAX_CONCURRENCY);

    // Every slot was given back.
    const channels = (await (await fetch(`${current.url}/admin/channels`, { headers })).json()) as { channels: Array<{ name: string; in_flight: number }> };
    expect(channels.channels).toEqual([expect.objectContaining({ name: 'sim', in_flight: 0 })]);

    console.log(
      `kill after ${killedAt - started} ms (${atKill.createsAccepted} accepted, ${atKill.droppedResponses} dropped, ${limbo.length} submits unresolved, ${holding.length} slots held, ${unrouted} unrouted); all terminal ${doneAt - restartedAt} ms after the restart; ` +
        `sim ${JSON.stringify({ accepted: stats.createsAccepted, dropped: stats.droppedResponses, maxConcurrent: stats.maxConcurrent, refusals: stats.concurrencyRefusals, callbacksFailed: stats.callbacksFailed, requests: stats.requests })}`,
    );
  }, 60_000);
});
