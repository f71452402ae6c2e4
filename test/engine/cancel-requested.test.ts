import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import { createTaskEvents } from '../../src/engine/task-events.ts';
import { createWakeup } from '../../src/engine/wakeup.ts';
import { createWorker, type Worker } from '../../src/engine/worker.ts';
import { createDiskStorage } from '../../src/media/disk-storage.ts';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import { createPreviewProvider } from '../../src/providers/preview/preview-provider.ts';
import type { LocalProvider } from '../../src/providers/provider.ts';
import type { Db } from '../../src/store/database.ts';
import { createTaskCancels } from '../../src/store/task-cancel.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { tempDir } from '../support/temp-dir.ts';
import { videoRequest } from '../support/video-request.ts';

const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });

async function eventually(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); ) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(backends)('a cancel request reaching the worker on $name', (backend) => {
  const tmp = tempDir('reelay-cancel-');
  const mediaDir = () => path.join(tmp.dir, 'media');
  const workers: Worker[] = [];
  let db: Db;
  let tasks: TaskRepository;

  eachDatabase(backend, (opened) => ({ db, tasks } = { db: opened, tasks: createTaskRepository(opened.kysely, opened.kind) }));
  // Registered after eachDatabase, so the workers stop before the database closes.
  afterEach(() => Promise.all(workers.splice(0).map((w) => w.stop())));
  afterAll(() => tmp.remove());

  /** The real renderer, held before it starts until `release` (so the test decides when it finishes). */
  function heldPreview() {
    const real = createPreviewProvider({ ffmpeg: ffmpeg.ffmpeg });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const seen = { renders: 0 };
    const provider: LocalProvider = {
      kind: 'local',
      name: 'preview',
      async render(request, ctx) {
        seen.renders++;
        await gate;
        return real.render(request, ctx);
      },
    };
    return { provider, seen, release: () => release() };
  }

  function startWorker(provider: LocalProvider) {
    const events = createTaskEvents();
    const w = createWorker(
      {
        tasks,
        providers: new Map([['preview', provider]]),
        wakeup: createWakeup(),
        events,
        storage: createDiskStorage(mediaDir()),
        probe: (file, signal) => probeVideo(ffmpeg.ffprobe, file, signal),
        workRoot: path.join(tmp.dir, 'work'),
        log: pino({ level: 'silent' }),
        now: Date.now,
      },
      // A 30 s lease renews every 10 s: the render finishes long before the worker would see the request.
      { concurrency: 1, remoteConcurrency: 1, leaseMs: 30_000, pollMs: 50, maxAttempts: 5 },
    );
    workers.push(w);
    w.start();
    return { events };
  }

  const insert = () =>
    tasks.insert({ id: internalId(), publicId: klingTaskId(), keyId: 'k', dialect: 'kling', kind: 'text2video', request: videoRequest({ duration: 3 }), provider: 'preview', now: Date.now() });
  const storedVideos = () => (existsSync(mediaDir()) ? readdirSync(mediaDir(), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mp4')) : []);

  it('discards a render that finishes after the request: the task ends canceled and its stored video is deleted', async () => {
    const held = heldPreview();
    const { events } = startWorker(held.provider);
    const t = await insert();
    const woken: string[] = [];
    events.subscribe(t.id, () => woken.push('change'));
    await eventually(async () => held.seen.renders === 1);
    expect(await createTaskCancels(db.kysely).requestCancel(t.id, 'k', Date.now())).toBe(true);
    held.release();
    await eventually(async () => (await tasks.get(t.id))?.status === 'canceled');
    expect(await tasks.get(t.id)).toMatchObject({ status: 'canceled', result: null, unitsCharged: null });
    // The files go right after the canceled status commits (only the winner of that write may delete them).
    await eventually(async () => storedVideos().length === 0);
    // Watchers were told of the start, of progress and of the end.
    await eventually(async () => woken.length >= 2);
  });

  it('ends canceled, without rendering, a running task claimed again after its cancel was asked', async () => {
    const held = heldPreview();
    const t = await insert();
    // As left by a worker that died mid-render after the client asked to cancel.
    await db.kysely.updateTable('tasks').set({ status: 'running', started_at: Date.now(), cancel_requested_at: Date.now() }).where('id', '=', t.id).execute();
    startWorker(held.provider);
    await eventually(async () => (await tasks.get(t.id))?.status === 'canceled');
    expect(held.seen.renders).toBe(0);
  });
});
