import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { IdempotencyKeyTaken, createIdempotencyKeys, type IdempotencyClaim, type IdempotencyKeys } from '../../src/store/idempotency-keys.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { videoRequest } from '../support/video-request.ts';

const DAY = 24 * 60 * 60 * 1000;

describe.each(backends)('idempotency records on $name', (backend) => {
  let tasks: TaskRepository;
  let keys: IdempotencyKeys;
  let clock = 1_800_000_000_000;

  eachDatabase(backend, (db) => {
    tasks = createTaskRepository(db.kysely, db.kind);
    keys = createIdempotencyKeys(db.kysely);
  });

  const claim = (over: Partial<IdempotencyClaim> = {}): IdempotencyClaim => ({
    key: 'k-1', route: '/v1/videos/text2video', bodyHash: 'a'.repeat(64), statusCode: 200, expiresAt: clock + DAY, ...over,
  });
  const insert = (c: IdempotencyClaim | undefined, keyId = 'key_a', over: Partial<VideoRequest> = {}) => {
    const now = clock++;
    return tasks.insert({ id: internalId(now), publicId: klingTaskId(now), keyId, dialect: 'kling', kind: 'text2video', request: videoRequest(over), provider: 'preview', now }, c);
  };
  const taskIds = async (keyId: string) => (await tasks.listOwned(keyId, 'text2video', 0, 100)).map((t) => t.id);

  it('writes the record with its task, naming it', async () => {
    const claimed = claim();
    const task = await insert(claimed);
    expect(await keys.find('key_a', 'k-1')).toEqual({
      keyId: 'key_a', key: 'k-1', route: '/v1/videos/text2video', bodyHash: 'a'.repeat(64), taskId: task.id, statusCode: 200, createdAt: task.createdAt, expiresAt: claimed.expiresAt,
    });
    expect(await keys.find('key_b', 'k-1')).toBeNull();
  });

  it('reports a live record as taken and rolls the second task back', async () => {
    const first = await insert(claim());
    await expect(insert(claim({ bodyHash: 'b'.repeat(64) }))).rejects.toBeInstanceOf(IdempotencyKeyTaken);
    expect(await taskIds('key_a')).toEqual([first.id]);
    expect((await keys.find('key_a', 'k-1'))?.taskId).toBe(first.id);
  });

  it('fails a duplicate on the record before the external_task_id, so a retry is a replay, not a 1201', async () => {
    await insert(claim(), 'key_a', { externalTaskId: 'ext-1' });
    await expect(insert(claim(), 'key_a', { externalTaskId: 'ext-1' })).rejects.toBeInstanceOf(IdempotencyKeyTaken);
    const other = await insert(claim({ key: 'k-2' }), 'key_a', { externalTaskId: 'ext-1' }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(AppError);
    expect((other as AppError).code).toBe('duplicate_external_task_id');
    expect(await keys.find('key_a', 'k-2')).toBeNull();
  });

  it('replaces an expired record in the new task transaction', async () => {
    const old = await insert(claim({ expiresAt: clock - 1 }));
    const fresh = await insert(claim({ bodyHash: 'c'.repeat(64) }));
    expect((await keys.find('key_a', 'k-1'))?.taskId).toBe(fresh.id);
    expect((await taskIds('key_a')).sort()).toEqual([old.id, fresh.id].sort());
  });

  it('still inserts without a claim, writing no record', async () => {
    await insert(undefined);
    expect(await keys.find('key_a', 'k-1')).toBeNull();
  });
});
