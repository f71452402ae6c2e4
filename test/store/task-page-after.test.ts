import { describe, expect, it } from 'vitest';
import { internalId, openAiVideoId } from '../../src/domain/ids.ts';
import { createTaskPageAfter, type TaskPageAfter } from '../../src/store/task-page-after.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { videoRequest } from '../support/video-request.ts';

const request = videoRequest();

describe.each(backends)('task page after a cursor on $name', (backend) => {
  let tasks: TaskRepository;
  let pageAfter: TaskPageAfter;
  let clock = 1_800_000_000_000;

  const insert = async (keyId = 'key_a', dialect = 'openai', now = clock++) =>
    (await tasks.insert({ id: internalId(now), publicId: openAiVideoId(), keyId, dialect, kind: 'text2video', request, provider: 'preview', now })).publicId;

  eachDatabase(backend, (db) => {
    tasks = createTaskRepository(db.kysely, db.kind);
    pageAfter = createTaskPageAfter(db.kysely);
  });

  const ids = async (query: Partial<Parameters<TaskPageAfter>[0]>) => {
    const page = await pageAfter({ keyId: 'key_a', dialect: 'openai', after: null, order: 'desc', limit: 20, ...query });
    return page === null ? null : { ids: page.tasks.map((t) => t.publicId), hasMore: page.hasMore };
  };

  it('pages newest first through every task of the key, without repeats or gaps', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await insert());
    const newestFirst = [...made].reverse();
    const first = await ids({ limit: 2 });
    expect(first).toEqual({ ids: newestFirst.slice(0, 2), hasMore: true });
    const second = await ids({ limit: 2, after: newestFirst[1] as string });
    expect(second).toEqual({ ids: newestFirst.slice(2, 4), hasMore: true });
    const last = await ids({ limit: 2, after: newestFirst[3] as string });
    expect(last).toEqual({ ids: newestFirst.slice(4), hasMore: false });
  });

  it('pages oldest first with order asc', async () => {
    const made: string[] = [];
    for (let i = 0; i < 4; i++) made.push(await insert());
    expect(await ids({ order: 'asc', limit: 3 })).toEqual({ ids: made.slice(0, 3), hasMore: true });
    expect(await ids({ order: 'asc', limit: 3, after: made[2] as string })).toEqual({ ids: made.slice(3), hasMore: false });
    expect(await ids({ order: 'asc', limit: 3, after: made[3] as string })).toEqual({ ids: [], hasMore: false });
  });

  it('breaks ties between tasks created in the same millisecond by id', async () => {
    const now = clock++;
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push(await insert('key_a', 'openai', now));
    const all = (await ids({ order: 'asc' }))?.ids ?? [];
    expect([...all].sort()).toEqual([...made].sort());
    const afterFirst = await ids({ order: 'asc', after: all[0] as string });
    expect(afterFirst?.ids).toEqual(all.slice(1));
    const beforeLast = await ids({ order: 'desc', after: all[2] as string });
    expect(beforeLast?.ids).toEqual([all[1], all[0]]);
  });

  it('lists only the key own tasks of the one dialect', async () => {
    const mine = await insert('key_a');
    await insert('key_b');
    await insert('key_a', 'kling');
    expect(await ids({})).toEqual({ ids: [mine], hasMore: false });
  });

  it('answers null for a cursor that is not a task of this key and dialect', async () => {
    const foreign = await insert('key_b');
    const kling = await insert('key_a', 'kling');
    expect(await ids({ after: foreign })).toBeNull();
    expect(await ids({ after: kling })).toBeNull();
    expect(await ids({ after: 'video_nope' })).toBeNull();
    // PostgreSQL refuses NUL in text; such a cursor matches nothing instead of failing.
    expect(await ids({ after: 'video_\u0000' })).toBeNull();
  });
});
