import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import type { TaskKind } from '../../src/domain/task.ts';
import { createTaskBatchQueries, decodeTaskCursor, encodeTaskCursor, type TaskBatchQueries } from '../../src/store/task-batch-queries.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { videoRequest } from '../support/video-request.ts';

type Insert = { keyId?: string; at?: number; externalTaskId?: string; dialect?: string; kind?: TaskKind };

describe.each(backends)('task batch queries on $name', (backend) => {
  let tasks: TaskRepository;
  let batches: TaskBatchQueries;
  let clock = 1_800_000_000_000;

  const insert = (o: Insert = {}) => {
    const now = o.at ?? clock++;
    return tasks.insert({
      id: internalId(now),
      publicId: klingTaskId(now),
      keyId: o.keyId ?? 'key_a',
      dialect: o.dialect ?? 'kling-new',
      kind: o.kind ?? 'text2video',
      request: videoRequest(o.externalTaskId ? { externalTaskId: o.externalTaskId } : {}),
      provider: 'preview',
      now,
    });
  };

  eachDatabase(backend, (db) => {
    tasks = createTaskRepository(db.kysely, db.kind);
    batches = createTaskBatchQueries(db.kysely);
  });

  it('finds a key tasks by public ids in the order asked, leaving out unknown and foreign ids', async () => {
    const a = await insert();
    const b = await insert();
    const foreign = await insert({ keyId: 'key_b' });
    const found = await batches.findOwnedByPublicIds('key_a', [b.publicId, 'nope', foreign.publicId, a.publicId, b.publicId]);
    expect(found.map((t) => t.id)).toEqual([b.id, a.id]);
    expect(found[0]).toEqual(b);
    expect(await batches.findOwnedByPublicIds('key_a', [])).toEqual([]);
  });

  it('finds a key tasks by external ids, and only that key', async () => {
    const a = await insert({ externalTaskId: 'ext-1' });
    await insert({ keyId: 'key_b', externalTaskId: 'ext-2' });
    const b = await insert({ externalTaskId: 'ext-2' });
    expect((await batches.findOwnedByExternalIds('key_a', ['ext-2', 'ext-1'])).map((t) => t.id)).toEqual([b.id, a.id]);
    // A public id is no external id.
    expect(await batches.findOwnedByExternalIds('key_a', [a.publicId])).toEqual([]);
  });

  it('keeps to the asked dialects', async () => {
    const mine = await insert({ dialect: 'kling' });
    const other = await insert({ dialect: 'evolink' });
    const ids = [mine.publicId, other.publicId];
    expect((await batches.findOwnedByPublicIds('key_a', ids, { dialects: ['kling-new', 'kling'] })).map((t) => t.id)).toEqual([mine.id]);
    expect(await batches.findOwnedByPublicIds('key_a', ids, { dialects: [] })).toEqual([]);
  });

  it('answers an id holding NUL with nothing instead of a database error', async () => {
    await insert({ externalTaskId: 'x' });
    expect(await batches.findOwnedByPublicIds('key_a', ['a\u0000b'])).toEqual([]);
    expect(await batches.findOwnedByExternalIds('key_a', ['x\u0000'])).toEqual([]);
  });

  it('pages through a time window newest first with an opaque cursor, without gaps or repeats', async () => {
    const base = 1_800_100_000_000;
    const made = [];
    // Three tasks share a millisecond: the public id breaks the tie.
    for (const at of [base, base + 1, base + 1, base + 1, base + 2, base + 3, base + 4]) made.push(await insert({ at }));
    await insert({ at: base - 1 });
    await insert({ at: base + 5 });
    await insert({ keyId: 'key_b', at: base + 2 });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for (;;) {
      const page = await batches.listOwnedInWindow({ keyId: 'key_a', from: base, to: base + 4, cursor, limit: 3 });
      pages++;
      seen.push(...page.tasks.map((t) => t.id));
      expect(page.hasMore).toBe(page.nextCursor !== null);
      if (!page.hasMore) break;
      expect(page.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      cursor = page.nextCursor;
    }
    expect(pages).toBe(3);
    const expected = [...made].sort((x, y) => y.createdAt - x.createdAt || (y.publicId < x.publicId ? -1 : y.publicId > x.publicId ? 1 : 0));
    expect(seen).toEqual(expected.map((t) => t.id));
  });

  it('says there is no more when the last page is exactly full', async () => {
    await insert();
    await insert();
    const page = await batches.listOwnedInWindow({ keyId: 'key_a', from: 0, to: clock + 1, cursor: null, limit: 2 });
    expect(page.tasks).toHaveLength(2);
    expect(page).toMatchObject({ hasMore: false, nextCursor: null });
  });

  it('filters by status and kind; an empty filter list matches nothing', async () => {
    const t2v = await insert();
    const i2v = await insert({ kind: 'image2video' });
    const window = { keyId: 'key_a', from: 0, to: clock + 1, cursor: null, limit: 10 };
    expect((await batches.listOwnedInWindow({ ...window, kinds: ['image2video'] })).tasks.map((t) => t.id)).toEqual([i2v.id]);
    expect((await batches.listOwnedInWindow({ ...window, statuses: ['queued'], kinds: ['text2video'] })).tasks.map((t) => t.id)).toEqual([t2v.id]);
    expect((await batches.listOwnedInWindow({ ...window, statuses: ['completed', 'failed'] })).tasks).toEqual([]);
    expect((await batches.listOwnedInWindow({ ...window, kinds: [] })).tasks).toEqual([]);
  });

  it('refuses a cursor it did not issue with an invalid_parameter error naming the cursor', async () => {
    const window = { keyId: 'key_a', from: 0, to: clock, limit: 10 };
    for (const cursor of ['not a cursor', Buffer.from('abc').toString('base64url'), Buffer.from('12:a\u0000').toString('base64url'), 'x'.repeat(1000)]) {
      const error = await batches.listOwnedInWindow({ ...window, cursor }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'invalid_parameter', field: 'cursor' });
    }
    const position = { createdAt: 1_800_000_000_123, publicId: '123456789012345678' };
    expect(decodeTaskCursor(encodeTaskCursor(position))).toEqual(position);
  });
});
