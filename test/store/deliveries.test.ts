import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import type { Task } from '../../src/domain/task.ts';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { createApiKeyStore, type ApiKeyStore } from '../../src/store/api-keys.ts';
import type { Db } from '../../src/store/database.ts';
import { createDeliveryStore, type DeliveryStore } from '../../src/store/deliveries.ts';
import { createTaskCancels } from '../../src/store/task-cancel.ts';
import { createTaskOutbox, type CallbackRenderer } from '../../src/store/task-outbox.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { createUpstreamTasks } from '../../src/store/upstream-tasks.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { videoRequest } from '../support/video-request.ts';

const HOOK = 'https://client.example/hook';

describe.each(backends)('the delivery outbox on $name', (backend) => {
  let db: Db;
  let tasks: TaskRepository;
  let deliveries: DeliveryStore;
  let keys: ApiKeyStore;
  let notified = 0;
  let render: CallbackRenderer = (task) => JSON.stringify({ id: task.publicId, status: task.status });
  let clock = 1_800_000_000_000;

  eachDatabase(backend, (opened) => {
    db = opened;
    notified = 0;
    render = (task) => JSON.stringify({ id: task.publicId, status: task.status });
    const outbox = createTaskOutbox({ render: (task) => render(task), notify: () => void (notified += 1) });
    tasks = createTaskRepository(db.kysely, db.kind, outbox);
    deliveries = createDeliveryStore(db.kysely, db.kind);
    keys = createApiKeyStore(db.kysely, randomBytes(32));
  });

  /** A task of `keyId`, claimed: its lease token. */
  async function claimed(over: Partial<VideoRequest> = { callbackUrl: HOOK }, keyId = 'key_a'): Promise<{ task: Task; token: string }> {
    const task = await tasks.insert({ id: internalId(clock), publicId: klingTaskId(clock), keyId, dialect: 'kling', kind: 'text2video', request: videoRequest(over), provider: 'preview', now: clock++ });
    const token = `w.${task.id}`;
    expect(await tasks.claimDue(clock + 1_000_000, 1, 30_000, token)).toHaveLength(1);
    return { task, token };
  }

  const rows = (taskId: string) => db.kysely.selectFrom('deliveries').selectAll().where('task_id', '=', taskId).orderBy('created_at').execute();

  it('queues one delivery per status change, with the rendered body, due at the change', async () => {
    const { task, token } = await claimed();
    expect(await tasks.start(task.id, token, 2000)).toBe(true);
    expect(await tasks.setProgress(task.id, token, 50, 2001)).toBe(true);
    expect(await tasks.complete(task.id, token, { videos: [] }, null, 3000)).toBe(true);
    const queued = await rows(task.id);
    expect(queued.map((d) => [d.event, d.status, d.url, d.due_at, d.key_id, JSON.parse(d.body)])).toEqual([
      ['running', 'pending', HOOK, 2000, 'key_a', { id: task.publicId, status: 'running' }],
      ['completed', 'pending', HOOK, 3000, 'key_a', { id: task.publicId, status: 'completed' }],
    ]);
    expect(queued.every((d) => d.id.startsWith('msg_'))).toBe(true);
    expect(notified).toBe(2);
  });

  it('queues nothing for a lost compare-and-swap, a status that sends nothing, or a task with nowhere to send', async () => {
    const { task, token } = await claimed();
    expect(await tasks.start(task.id, 'not-my-lease', 2000)).toBe(false);
    render = (t) => (t.status === 'running' ? null : '{}');
    expect(await tasks.start(task.id, token, 2000)).toBe(true);
    const silent = await claimed({ callbackUrl: null });
    expect(await tasks.fail(silent.task.id, silent.token, 'queued', { code: 'render_failed', message: 'x' }, 2000)).toBe(true);
    expect(await rows(task.id)).toEqual([]);
    expect(await rows(silent.task.id)).toEqual([]);
  });

  it("sends to the key's default webhook URL when the task names none, and the task's own URL first", async () => {
    const key = await keys.create('tenant');
    expect(await keys.setWebhookUrl(key.id, 'https://tenant.example/default')).toBe(true);
    const plain = await claimed({ callbackUrl: null }, key.id);
    const own = await claimed({ callbackUrl: HOOK }, key.id);
    await tasks.start(plain.task.id, plain.token, 2000);
    await tasks.start(own.task.id, own.token, 2000);
    expect((await rows(plain.task.id)).map((d) => d.url)).toEqual(['https://tenant.example/default']);
    expect((await rows(own.task.id)).map((d) => d.url)).toEqual([HOOK]);
  });

  it('still changes the status when the renderer throws, and records the delivery as failed', async () => {
    render = () => {
      throw new Error('no such dialect');
    };
    const { task, token } = await claimed();
    expect(await tasks.start(task.id, token, 2000)).toBe(true);
    expect((await tasks.get(task.id))?.status).toBe('running');
    expect(await rows(task.id)).toMatchObject([{ status: 'failed', due_at: null, last_error: 'the callback body could not be rendered: no such dialect' }]);
  });

  it('queues for a remote task starting upstream and for a cancel of a queued task', async () => {
    const outbox = createTaskOutbox({ render: (t) => JSON.stringify({ status: t.status }), notify: () => {} });
    const remote = await claimed();
    expect(await createUpstreamTasks(db.kysely, db.kind, outbox).running(remote.task.id, remote.token, 5, 2000)).toBe(true);
    const canceled = await claimed();
    expect(await createTaskCancels(db.kysely, outbox).cancelQueued(canceled.task.id, 'key_a', 2000)).toBe(true);
    expect((await rows(remote.task.id)).map((d) => d.event)).toEqual(['running']);
    expect((await rows(canceled.task.id)).map((d) => d.event)).toEqual(['canceled']);
  });

  it('leases a due delivery to one sender; an expired lease makes it due again; a stale token writes nothing', async () => {
    const { task, token } = await claimed();
    await tasks.start(task.id, token, 2000);
    const [a, b] = await Promise.all([deliveries.claimDue(5000, 10, 30_000, 'sender-a'), deliveries.claimDue(5000, 10, 30_000, 'sender-b')]);
    expect([...a, ...b]).toHaveLength(1);
    const first = [...a, ...b][0];
    expect(first).toMatchObject({ attempts: 1, due_at: 35_000 });
    expect(await deliveries.claimDue(34_999, 10, 30_000, 'sender-c')).toEqual([]);
    // The first sender died: at the lease's end another takes it, and the first can no longer record.
    const [again] = await deliveries.claimDue(35_000, 10, 30_000, 'sender-c');
    expect(again).toMatchObject({ id: first?.id, attempts: 2, lease_token: 'sender-c' });
    expect(await deliveries.delivered(first?.id as string, first?.lease_token as string, 200, 36_000)).toBe(false);
    expect(await deliveries.attemptFailed(first?.id as string, 'sender-c', { httpStatus: 500, error: 'HTTP 500', retryAt: 37_000 }, 36_000)).toBe(true);
    expect(await deliveries.nextDueAt()).toBe(37_000);
    const [third] = await deliveries.claimDue(37_000, 10, 30_000, 'sender-d');
    expect(await deliveries.attemptFailed(third?.id as string, 'sender-d', { httpStatus: null, error: 'timeout', retryAt: null }, 38_000)).toBe(true);
    expect(await deliveries.get(first?.id as string)).toMatchObject({ status: 'failed', due_at: null, attempts: 3, last_status: null, last_error: 'timeout' });
    expect(await deliveries.nextDueAt()).toBeNull();
  });

  it('replays a delivery as a new series, optionally with a fresh body, and hands an aborted attempt back uncounted', async () => {
    const { task, token } = await claimed();
    await tasks.start(task.id, token, 2000);
    const [d] = await deliveries.claimDue(5000, 1, 30_000, 's');
    expect(await deliveries.delivered(d?.id as string, 's', 204, 5001)).toBe(true);
    expect(await deliveries.replay(d?.id as string, 6000, '{"fresh":true}')).toBe(true);
    expect(await deliveries.get(d?.id as string)).toMatchObject({ status: 'pending', attempts: 0, due_at: 6000, body: '{"fresh":true}', last_status: null, delivered_at: null });
    const [e] = await deliveries.claimDue(6000, 1, 30_000, 't');
    expect(await deliveries.handBack(e?.id as string, 't', 6500)).toBe(true);
    expect(await deliveries.get(d?.id as string)).toMatchObject({ status: 'pending', attempts: 0, due_at: 6500, lease_token: null });
    expect(await deliveries.replay('msg_missing', 7000)).toBe(false);
  });

  it('lists a task deliveries by internal or public id', async () => {
    const { task, token } = await claimed();
    await tasks.start(task.id, token, 2000);
    await tasks.complete(task.id, token, { videos: [] }, null, 3000);
    const byPublic = await deliveries.listForTask(task.publicId);
    expect(byPublic.map((d) => [d.event, d.task_id, d.public_task_id])).toEqual([
      ['running', task.id, task.publicId],
      ['completed', task.id, task.publicId],
    ]);
    expect(await deliveries.listForTask(task.id)).toEqual(byPublic);
    expect(byPublic[0]).not.toHaveProperty('body');
    expect(await deliveries.listForTask('nothing\u0000')).toEqual([]);
  });
});
