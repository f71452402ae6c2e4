/** The dashboard's reads on SQLite and PostgreSQL: newest first, by key, and long frames left out of lists. */
import { describe, expect, it } from 'vitest';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import { createDashboardReads, FRAME_OMITTED, type DashboardReads } from '../../src/store/dashboard-reads.ts';
import type { Db } from '../../src/store/database.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { videoRequest } from '../support/video-request.ts';

describe.each(backends)('dashboard reads on $name', (backend) => {
  let db: Db;
  let tasks: TaskRepository;
  let reads: DashboardReads;
  let clock = 1_800_000_000_000;

  eachDatabase(backend, (opened) => {
    db = opened;
    tasks = createTaskRepository(db.kysely, db.kind);
    reads = createDashboardReads(db.kysely, db.kind);
  });

  const insert = (keyId: string, over: Parameters<typeof videoRequest>[0] = {}) =>
    tasks.insert({ id: internalId(clock), publicId: klingTaskId(clock), keyId, dialect: 'kling', kind: 'image2video', request: videoRequest(over), provider: 'preview', now: clock++ });

  it('lists a key its own tasks newest first, the master every key, and reads a task whole by its public id', async () => {
    const a1 = await insert('a');
    const b1 = await insert('b');
    const a2 = await insert('a');
    expect((await reads.recentTasks({ keyId: 'a', limit: 10 })).map((t) => t.publicId)).toEqual([a2.publicId, a1.publicId]);
    expect((await reads.recentTasks({ keyId: null, limit: 2 })).map((t) => t.publicId)).toEqual([a2.publicId, b1.publicId]);
    expect(await reads.taskByPublicId('a', b1.publicId)).toBeNull();
    expect((await reads.taskByPublicId(null, b1.publicId))?.keyId).toBe('b');
  });

  it('leaves long frames out of lists, keeps short ones, and keeps every other field', async () => {
    const base64 = 'A'.repeat(100_000);
    const url = 'https://images.example.com/last.png';
    const t = await insert('a', { prompt: 'frames', firstFrame: base64, lastFrame: url });
    const [listed] = await reads.recentTasks({ keyId: 'a', limit: 1 });
    expect(listed?.request.firstFrame).toBe(FRAME_OMITTED);
    expect(listed?.request.lastFrame).toBe(url);
    expect({ ...listed?.request, firstFrame: null }).toEqual({ ...(await tasks.get(t.id))?.request, firstFrame: null });
    expect((await reads.taskByPublicId('a', t.publicId))?.request.firstFrame).toBe(base64);
    const plain = await insert('a', { prompt: 'no frames' });
    expect((await reads.recentTasks({ keyId: 'a', limit: 1 }))[0]?.request).toEqual((await tasks.get(plain.id))?.request);
  });
});
