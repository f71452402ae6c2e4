import { describe, expect, it } from 'vitest';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import type { Db } from '../../src/store/database.ts';
import { createTaskCancels, type TaskCancels } from '../../src/store/task-cancel.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { videoRequest } from '../support/video-request.ts';

describe.each(backends)('cancel writes on $name', (backend) => {
  let clock = 1_800_000_000_000;
  let db: Db;
  let tasks: TaskRepository;
  let cancels: TaskCancels;
  eachDatabase(backend, (opened) => ({ db, tasks, cancels } = { db: opened, tasks: createTaskRepository(opened.kysely, opened.kind), cancels: createTaskCancels(opened.kysely) }));

  const insert = (provider = 'preview') =>
    tasks.insert({ id: internalId(clock), publicId: klingTaskId(clock), keyId: 'key_a', dialect: 'kling', kind: 'text2video', request: videoRequest(), provider, now: clock++ });
  /** Leases the task to `token` and, like a worker, starts it. */
  const leaseRunning = async (id: string, token: string) => {
    await tasks.claimDue(clock + 10_000, 1, 30_000, token);
    expect(await tasks.start(id, token, clock)).toBe(true);
  };

  it('cancels a queued task at once even while a worker holds its lease, and every write of that worker then fails', async () => {
    const t = await insert();
    const [claimed] = await tasks.claimDue(clock + 1000, 1, 30_000, 'w');
    expect(claimed?.id).toBe(t.id);
    expect(await cancels.cancelQueued(t.id, 'key_a', clock)).toBe(true);
    expect(await tasks.start(t.id, 'w', clock)).toBe(false);
    expect(await tasks.renewLease(t.id, 'w', clock + 30_000)).toBe('lost');
    const row = await db.kysely.selectFrom('tasks').select(['status', 'due_at', 'lease_token', 'finished_at']).where('id', '=', t.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'canceled', due_at: null, lease_token: null, finished_at: clock });
    // Over: never claimed again, and a second cancel changes nothing.
    expect(await tasks.claimDue(clock + 100_000, 10, 30_000, 'w2')).toEqual([]);
    expect(await cancels.cancelQueued(t.id, 'key_a', clock)).toBe(false);
    expect(await cancels.requestCancel(t.id, 'key_a', clock)).toBe(false);
  });

  it('only marks a queued task whose submit began or that the upstream has', async () => {
    const submitting = await insert('kling-main');
    const accepted = await insert('kling-main');
    await db.kysely.updateTable('tasks').set({ submit_started_at: clock }).where('id', '=', submitting.id).execute();
    await db.kysely.updateTable('tasks').set({ submit_started_at: clock, upstream_id: 'up-1' }).where('id', '=', accepted.id).execute();
    for (const t of [submitting, accepted]) {
      expect(await cancels.cancelQueued(t.id, 'key_a', clock)).toBe(false);
      expect(await cancels.requestCancel(t.id, 'key_a', clock)).toBe(true);
      // Asked once: asking again changes nothing.
      expect(await cancels.requestCancel(t.id, 'key_a', clock + 1)).toBe(false);
      expect(await tasks.get(t.id)).toMatchObject({ status: 'queued', cancelRequestedAt: clock });
    }
  });

  it('never touches another key’s task', async () => {
    const t = await insert();
    expect(await cancels.cancelQueued(t.id, 'key_b', clock)).toBe(false);
    expect(await cancels.requestCancel(t.id, 'key_b', clock)).toBe(false);
    expect(await tasks.get(t.id)).toMatchObject({ status: 'queued', cancelRequestedAt: null });
  });

  it('lets a running task end canceled or completed, never both, by whether the client asked', async () => {
    const asked = await insert();
    await leaseRunning(asked.id, 'w');
    expect(await cancels.cancelQueued(asked.id, 'key_a', clock)).toBe(false);
    expect(await tasks.renewLease(asked.id, 'w', clock + 30_000)).toBe('kept');
    expect(await cancels.requestCancel(asked.id, 'key_a', clock)).toBe(true);
    expect(await tasks.renewLease(asked.id, 'w', clock + 30_000)).toBe('cancel_requested');
    const result = { videos: [{ id: 'v', key: 'k.mp4', duration: 5 }] };
    expect(await tasks.complete(asked.id, 'w', result, 7, clock)).toBe(false);
    expect(await tasks.cancel(asked.id, 'someone-else', 'running', { units: 7 }, clock)).toBe(false);
    expect(await tasks.cancel(asked.id, 'w', 'running', { units: 7 }, clock)).toBe(true);
    expect(await tasks.get(asked.id)).toMatchObject({ status: 'canceled', result: null, unitsCharged: 7, finishedAt: clock });

    const notAsked = await insert();
    await leaseRunning(notAsked.id, 'w2');
    expect(await tasks.cancel(notAsked.id, 'w2', 'running', null, clock)).toBe(false);
    expect(await tasks.complete(notAsked.id, 'w2', result, null, clock)).toBe(true);
    expect(await cancels.requestCancel(notAsked.id, 'key_a', clock)).toBe(false);
  });
});
