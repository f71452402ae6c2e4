import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { videoRequest } from '../support/video-request.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';

const request = videoRequest;

describe.each(backends)('task repository on $name', (backend) => {
  let tasks: TaskRepository;
  let clock = 1_800_000_000_000;

  const insert = (keyId = 'key_a', over: Partial<VideoRequest> = {}) =>
    tasks.insert({ id: internalId(clock), publicId: klingTaskId(clock), keyId, dialect: 'kling', kind: 'text2video', request: request(over), provider: 'preview', now: clock++ });

  eachDatabase(backend, (db) => {
    tasks = createTaskRepository(db.kysely, db.kind);
  });

  it('stores a queued task and reads it back unchanged', async () => {
    const created = await insert('key_a', { prompt: 'rain on a pond', sound: true, duration: 7 });
    const read = await tasks.get(created.id);
    expect(read).toEqual(created);
    expect(read?.status).toBe('queued');
    expect(read?.request.duration).toBe(7);
  });

  it('finds a task by public id or external id, only for its owner', async () => {
    const t = await insert('key_a', { externalTaskId: 'my-ext-1' });
    expect((await tasks.findOwned('key_a', t.publicId))?.id).toBe(t.id);
    expect((await tasks.findOwned('key_a', 'my-ext-1'))?.id).toBe(t.id);
    expect(await tasks.findOwned('key_b', t.publicId)).toBeNull();
    expect(await tasks.findOwned('key_b', 'my-ext-1')).toBeNull();
  });

  it('refuses a second task with the same external id for one key, but not for another key', async () => {
    await insert('key_a', { externalTaskId: 'dup' });
    await expect(insert('key_a', { externalTaskId: 'dup' })).rejects.toBeInstanceOf(AppError);
    await expect(insert('key_b', { externalTaskId: 'dup' })).resolves.toBeTruthy();
  });

  it('lists only the owner tasks, newest first, paged', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await insert('key_a')).publicId);
    await insert('key_b');
    const page1 = await tasks.listOwned('key_a', 'text2video', 0, 2);
    const page3 = await tasks.listOwned('key_a', 'text2video', 4, 2);
    expect(page1.map((t) => t.publicId)).toEqual([ids[4], ids[3]]);
    expect(page3.map((t) => t.publicId)).toEqual([ids[0]]);
  });

  it('does not hand the same task to two workers', async () => {
    for (let i = 0; i < 10; i++) await insert();
    const now = clock + 1000;
    const [a, b] = await Promise.all([tasks.claimDue(now, 10, 30_000, 'worker-a'), tasks.claimDue(now, 10, 30_000, 'worker-b')]);
    const all = [...a, ...b].map((t) => t.id);
    expect(all).toHaveLength(10);
    expect(new Set(all).size).toBe(10);
  });

  it('makes a task due again when its lease expires, and counts the attempt', async () => {
    const t = await insert();
    const [first] = await tasks.claimDue(clock, 1, 30_000, 'w1');
    expect(first?.attempts).toBe(1);
    expect(await tasks.claimDue(clock + 29_000, 1, 30_000, 'w2')).toHaveLength(0);
    const [again] = await tasks.claimDue(clock + 31_000, 1, 30_000, 'w2');
    expect(again?.id).toBe(t.id);
    expect(again?.attempts).toBe(2);
    // The first worker lost its lease: none of its writes land.
    expect(await tasks.start(t.id, 'w1', clock)).toBe(false);
    expect(await tasks.start(t.id, 'w2', clock)).toBe(true);
  });

  it('moves queued -> running -> completed only with the lease, and never back', async () => {
    const t = await insert();
    await tasks.claimDue(clock, 1, 30_000, 'w');
    expect(await tasks.start(t.id, 'w', clock)).toBe(true);
    expect(await tasks.start(t.id, 'w', clock)).toBe(false);
    expect(await tasks.setProgress(t.id, 'w', 40, clock)).toBe(true);
    const result = { videos: [{ id: 'v1', key: 'tasks/x/video-1.mp4', duration: 5.04 }] };
    expect(await tasks.complete(t.id, 'w', result, 3, clock)).toBe(true);
    expect(await tasks.fail(t.id, 'w', 'running', { code: 'x', message: 'y' }, clock)).toBe(false);
    const done = await tasks.get(t.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100, result, unitsCharged: 3 });
    expect(done?.finishedAt).not.toBeNull();
    // Terminal tasks are never due again.
    expect(await tasks.claimDue(clock + 10_000_000, 10, 30_000, 'w3')).toHaveLength(0);
  });

  it('records a failure with its code and message', async () => {
    const t = await insert();
    await tasks.claimDue(clock, 1, 30_000, 'w');
    await tasks.start(t.id, 'w', clock);
    expect(await tasks.fail(t.id, 'w', 'running', { code: 'render_failed', message: 'ffmpeg exited 1' }, clock)).toBe(true);
    expect((await tasks.get(t.id))?.failure).toEqual({ code: 'render_failed', message: 'ffmpeg exited 1' });
  });

  it('hands a task back with defer: no lease, due at the given time, attempts reset', async () => {
    const t = await insert();
    await tasks.claimDue(clock, 1, 30_000, 'w');
    expect(await tasks.defer(t.id, 'w', 'queued', clock + 5000, clock)).toBe(true);
    expect(await tasks.claimDue(clock + 4000, 1, 30_000, 'w2')).toHaveLength(0);
    const [back] = await tasks.claimDue(clock + 5000, 1, 30_000, 'w2');
    expect(back?.attempts).toBe(1);
  });
});

describe.each(backends)('text the database cannot hold, on $name', (backend) => {
  it('finds nothing for an id with a NUL character instead of failing', async () => {
    const { db, cleanup } = await backend.open();
    try {
      const tasks = createTaskRepository(db.kysely, db.kind);
      expect(await tasks.findOwned('key_a', 'a\u0000b')).toBeNull();
    } finally {
      await cleanup();
    }
  });
});
