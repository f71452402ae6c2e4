import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import { createWakeup } from '../../src/engine/wakeup.ts';
import { createWorker, type Worker } from '../../src/engine/worker.ts';
import { createDiskStorage } from '../../src/media/disk-storage.ts';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import { createPreviewProvider } from '../../src/providers/preview/preview-provider.ts';
import type { LocalProvider, RenderContext } from '../../src/providers/provider.ts';
import type { Db } from '../../src/store/database.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { tempDir } from '../support/temp-dir.ts';
import { videoRequest } from '../support/video-request.ts';

const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
const until = async (check: () => Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

/** The real preview renderer behind a gate the test opens, so a render can be caught mid-way. */
function gatedPreview() {
  const real = createPreviewProvider({ ffmpeg: ffmpeg.ffmpeg });
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const seen: { started: number; aborted: number } = { started: 0, aborted: 0 };
  const provider: LocalProvider = {
    kind: 'local',
    name: 'preview',
    async render(request, ctx: RenderContext) {
      seen.started++;
      await Promise.race([gate, new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }))]).catch((e: unknown) => {
        seen.aborted++;
        throw e;
      });
      return real.render(request, ctx);
    },
  };
  return { provider, seen, open: () => open() };
}

describe.each(backends)('worker on $name', (backend) => {
  let db: Db;
  let tasks: TaskRepository;
  let worker: Worker | undefined;
  const tmp = tempDir('reelay-worker-');

  eachDatabase(backend, (opened) => {
    db = opened;
    tasks = createTaskRepository(db.kysely, db.kind);
  });
  // Registered after eachDatabase, so it runs before the database closes.
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  const insert = () => tasks.insert({ id: internalId(), publicId: klingTaskId(), keyId: 'k', dialect: 'kling', kind: 'text2video', request: videoRequest({ duration: 3 }), provider: 'preview', now: Date.now() });
  const start = (provider: LocalProvider | null, options: Partial<{ leaseMs: number; maxAttempts: number }> = {}) => {
    worker = createWorker(
      {
        tasks,
        providers: new Map(provider ? [['preview', provider]] : []),
        wakeup: createWakeup(),
        storage: createDiskStorage(path.join(tmp.dir, 'media')),
        probe: (file, signal) => probeVideo(ffmpeg.ffprobe, file, signal),
        workRoot: path.join(tmp.dir, 'work'),
        log: pino({ level: 'silent' }),
        now: Date.now,
      },
      { concurrency: 2, remoteConcurrency: 4, leaseMs: options.leaseMs ?? 30_000, pollMs: 50, maxAttempts: options.maxAttempts ?? 5 },
    );
    worker.start();
    return worker;
  };

  it('completes a task with the real preview renderer and stores its video', async () => {
    const gated = gatedPreview();
    gated.open();
    start(gated.provider);
    const t = await insert();
    await until(async () => (await tasks.get(t.id))?.status === 'completed');
    const done = await tasks.get(t.id);
    expect(done?.result?.videos[0]?.duration).toBeCloseTo(3, 1);
  });

  it('hands a running task back on stop: still running, due now, no lease', async () => {
    const gated = gatedPreview();
    const w = start(gated.provider);
    const t = await insert();
    await until(async () => gated.seen.started === 1);
    const before = Date.now();
    await w.stop();
    worker = undefined;
    expect(gated.seen.aborted).toBe(1);
    const row = await db.kysely.selectFrom('tasks').select(['status', 'due_at', 'lease_token', 'attempts']).where('id', '=', t.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('running');
    expect(row.lease_token).toBeNull();
    expect(row.attempts).toBe(0);
    expect(row.due_at as number).toBeGreaterThanOrEqual(before - 1000);
    expect(row.due_at as number).toBeLessThanOrEqual(Date.now());
  });

  it('aborts the attempt when its lease is taken away, and the stale worker writes nothing', async () => {
    const gated = gatedPreview();
    start(gated.provider, { leaseMs: 3000 });
    const t = await insert();
    await until(async () => gated.seen.started === 1);
    // Another worker took the task over (as after an expired lease).
    await db.kysely.updateTable('tasks').set({ lease_token: 'someone-else' }).where('id', '=', t.id).execute();
    await until(async () => gated.seen.aborted === 1, 5000);
    gated.open();
    await new Promise((r) => setTimeout(r, 300));
    const row = await tasks.get(t.id);
    expect(row?.status).toBe('running');
    expect(row?.result).toBeNull();
  });

  it('gives a task up after it was interrupted more than maxAttempts times', async () => {
    const t = await insert();
    // Three claims that never handed back: as if three workers died with it.
    for (let i = 0; i < 3; i++) await tasks.claimDue(Date.now() + i * 100_000, 1, 1, `dead-${i}`);
    await db.kysely.updateTable('tasks').set({ due_at: Date.now() }).where('id', '=', t.id).execute();
    start(gatedPreview().provider, { maxAttempts: 3 });
    await until(async () => (await tasks.get(t.id))?.status === 'failed');
    expect((await tasks.get(t.id))?.failure).toEqual({ code: 'worker_lost', message: 'the task was interrupted 3 times and was given up' });
  });

  it('fails a task whose provider is not configured', async () => {
    start(null);
    const t = await insert();
    await until(async () => (await tasks.get(t.id))?.status === 'failed');
    expect((await tasks.get(t.id))?.failure?.code).toBe('provider_unavailable');
  });
});
