/**
 * Two Reelay instances on one PostgreSQL schema, with every poll slowed to a minute: only
 * LISTEN/NOTIFY can wake them. A task created on A (whose worker is stopped) is started by B's
 * worker at once, and an event stream opened on A sees each change B's worker makes as it happens.
 * Runs where PostgreSQL is (REELAY_TEST_DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { startKlingSim, type KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { freePort } from '../support/child-server.ts';
import { simChannel } from '../support/kling-sim-server.ts';
import { tempDir } from '../support/temp-dir.ts';
import { createPgSchema, postgresUrl } from '../support/databases.ts';
import { README_EXAMPLE } from '../support/kling-examples.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { sseItems } from '../support/sse.ts';

/** Long enough that a test passing within a second cannot have been woken by a poll. */
const SLOW = { worker: { concurrency: 1, pollMilliseconds: 60_000 }, events: { pollMilliseconds: 60_000, keepAliveMilliseconds: 600_000 } };

describe.skipIf(!postgresUrl)('cross-instance wake-ups (PostgreSQL LISTEN/NOTIFY)', () => {
  let a: TestServer;
  let b: TestServer;
  let key: string;
  beforeAll(async () => {
    const { schema } = await createPgSchema(postgresUrl as string);
    const url = new URL(postgresUrl as string);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const env = { DATABASE_URL: url.toString() };
    a = await startTestServer({ env, configFile: SLOW });
    b = await startTestServer({ env, configFile: SLOW });
    await a.worker.stop();
    key = (await a.createKey('a')).key;
  });
  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
  });

  it("starts a task created on A with B's worker, and A's event stream sees B's changes as they happen", async () => {
    const createdAt = Date.now();
    // Long enough to render that B writes progress more than once (at most every 500 ms) on a fast
    // machine too: a 5 s 720p clip renders in ~0.5 s there, with room for one progress write.
    const res = await a.api('/v1/videos/text2video', { method: 'POST', key, json: { ...README_EXAMPLE, duration: '15', mode: 'pro' } });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const stream = await a.api(`/v1/tasks/${id}/events`, { key });
    expect(stream.status).toBe(200);

    // Each event, with when it arrived and what the store said then.
    const seen: Array<{ event: string; at: number; progress: number }> = [];
    const reading = (async () => {
      for await (const item of sseItems(stream)) {
        if (item.kind !== 'event') continue;
        const body = JSON.parse(item.data) as { data: { reelay: { progress: number } } };
        seen.push({ event: item.event, at: Date.now(), progress: body.data.reelay.progress });
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([reading, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`stream still open; saw ${JSON.stringify(seen)}`)), 30_000)))]);
    } finally {
      clearTimeout(timer);
    }

    const row = await a.db.kysely.selectFrom('tasks').select(['status', 'started_at', 'finished_at', 'lease_token']).where('public_id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('completed');
    // B's worker picked it up within a second of the create (its own poll is a minute away).
    expect((row.started_at as number) - createdAt).toBeLessThan(1000);
    const names = seen.map((s) => s.event);
    expect(names[0]).toBe('queued');
    expect(names).toContain('running');
    expect(names.at(-1)).toBe('completed');
    // A heard B's changes within a second of each (A's own poll is a minute away).
    const firstRunning = seen.find((s) => s.event === 'running');
    expect((firstRunning?.at as number) - (row.started_at as number)).toBeLessThan(1000);
    expect((seen.at(-1)?.at as number) - (row.finished_at as number)).toBeLessThan(1000);
    // Progress in between came through too (published by B after each write).
    expect(seen.filter((s) => s.event === 'running').length).toBeGreaterThanOrEqual(2);
  });
});

describe.skipIf(!postgresUrl)('an upstream callback received by one instance wakes the others (PostgreSQL)', () => {
  const tmp = tempDir('reelay-nudge-');
  let sim: KlingSim;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
    sim = await startKlingSim({ ffmpeg: ffmpeg.ffmpeg, workDir: tmp.dir, schedule: { submittedMs: 200, processingMs: 800 } });
    const { schema } = await createPgSchema(postgresUrl as string);
    const url = new URL(postgresUrl as string);
    url.searchParams.set('options', `-c search_path=${schema}`);
    // Callbacks go to A (the public URL), whose worker is stopped; B's worker does the work, and its
    // first status check is a minute away: only A's callback, passed on to B, can finish the task soon.
    const port = await freePort();
    const env = { DATABASE_URL: url.toString(), REELAY_SECRET: 'shared-secret-for-every-instance-0123456789abcdef', REELAY_PUBLIC_URL: `http://127.0.0.1:${port}` };
    const configFile = { ...SLOW, channels: [simChannel(sim, { expected_render_seconds: 60, poll_interval_seconds: 60 })] };
    a = await startTestServer({ env: { ...env, PORT: String(port) }, configFile });
    b = await startTestServer({ env, configFile });
    await a.worker.stop();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await sim?.close();
    tmp.remove();
  });

  it('finishes the task on B within a second or two of the callback A received', async () => {
    const res = await a.api('/v1/videos/text2video', { method: 'POST', json: { model_name: 'kling-v3', prompt: 'nudge', duration: '3', mode: 'std' } });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const row = await a.db.kysely.selectFrom('tasks').select(['id', 'status', 'finished_at']).where('public_id', '=', id).executeTakeFirstOrThrow();
      if (row.status === 'completed') {
        const upstream = sim.task(row.id);
        expect(upstream?.callbackUrl?.startsWith(`${a.url}/callbacks/upstream/`)).toBe(true);
        // The simulator finished and called back; B completed the task soon after (its own check was a minute away).
        expect((row.finished_at as number) - (upstream?.finishedAt as number)).toBeLessThan(3000);
        expect(sim.stats().callbacksSent).toBeGreaterThan(0);
        return;
      }
      if (Date.now() > deadline) throw new Error(`task still ${row.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);
});
