import { describe, expect, it } from 'vitest';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import type { Db } from '../../src/store/database.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { MAX_CALLBACK_BODY, ROUTE_PENDING, createUpstreamTasks, type UpstreamTasks } from '../../src/store/upstream-tasks.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { videoRequest } from '../support/video-request.ts';

describe.each(backends)('remote task writes on $name', (backend) => {
  let db: Db;
  let tasks: TaskRepository;
  let upstream: UpstreamTasks;
  let clock = 1_800_000_000_000;

  eachDatabase(backend, (opened) => {
    db = opened;
    tasks = createTaskRepository(db.kysely, db.kind);
    upstream = createUpstreamTasks(db.kysely, db.kind);
  });

  const insertRouted = () =>
    tasks.insert({ id: internalId(clock), publicId: klingTaskId(clock), keyId: 'k', dialect: 'kling', kind: 'text2video', request: videoRequest(), provider: ROUTE_PENDING, now: clock++ });
  const claimOne = async (token: string) => {
    const [t] = await tasks.claimDue(clock, 1, 30_000, token, 'remote');
    if (!t) throw new Error('nothing to claim');
    return t;
  };

  it('claims remote tasks only from the remote pool and local ones only from the local pool', async () => {
    await insertRouted();
    expect(await tasks.claimDue(clock, 10, 30_000, 'l', 'local')).toHaveLength(0);
    expect(await tasks.claimDue(clock, 10, 30_000, 'r', 'remote')).toHaveLength(1);
  });

  it('never reserves more slots of a channel than its max, even when asked all at once', async () => {
    for (let i = 0; i < 12; i++) await insertRouted();
    const claimed = await tasks.claimDue(clock, 12, 30_000, 'tok', 'remote');
    expect(claimed).toHaveLength(12);
    const results = await Promise.all(claimed.map((t) => upstream.reserve(t.id, 'tok', 'ch', 5, clock)));
    expect(results.filter(Boolean)).toHaveLength(5);
    expect((await upstream.activeByProvider()).get('ch')).toBe(5);
    const reserved = await Promise.all(claimed.map((t) => tasks.get(t.id)));
    expect(reserved.filter((t) => t?.provider === 'ch').every((t) => t?.submitStartedAt === clock)).toBe(true);
  });

  it('gives a slot back on release, and a finished task holds none', async () => {
    const t = await insertRouted();
    await claimOne('tok');
    expect(await upstream.reserve(t.id, 'tok', 'ch', 1, clock)).toBe(true);
    expect(await upstream.release(t.id, 'tok', clock)).toBe(true);
    expect((await tasks.get(t.id))?.provider).toBe(ROUTE_PENDING);
    expect(await upstream.reserve(t.id, 'tok', 'ch', 1, clock)).toBe(true);
    await tasks.fail(t.id, 'tok', 'queued', { code: 'upstream_failed', message: 'x' }, clock);
    expect((await upstream.activeByProvider()).get('ch')).toBeUndefined();
  });

  it('records the upstream id, frees the lease and schedules the first check', async () => {
    const t = await insertRouted();
    await claimOne('tok');
    await upstream.reserve(t.id, 'tok', 'ch', 1, clock);
    expect(await upstream.accepted(t.id, 'tok', 'up-1', { checkAt: clock + 5000, seenNudges: 0 }, clock)).toBe(true);
    const read = await tasks.get(t.id);
    expect(read).toMatchObject({ status: 'queued', upstreamId: 'up-1', provider: 'ch', checks: 0 });
    expect(await tasks.claimDue(clock + 4999, 1, 30_000, 'x', 'remote')).toHaveLength(0);
    expect(await tasks.claimDue(clock + 5000, 1, 30_000, 'x', 'remote')).toHaveLength(1);
  });

  it('makes an idle task due at once on a callback, and a leased one due at its hand-back', async () => {
    const t = await insertRouted();
    const claimed = await claimOne('tok');
    await upstream.reserve(t.id, 'tok', 'ch', 1, clock);
    await upstream.accepted(t.id, 'tok', 'up-1', { checkAt: clock + 60_000, seenNudges: 0 }, clock);
    expect(await upstream.nudge(t.id, clock + 1)).toBe(true);
    const again = await tasks.claimDue(clock + 1, 1, 30_000, 'tok2', 'remote');
    expect(again).toHaveLength(1);
    // A callback while leased: the hand-back asks for a check in a minute, but the nudge wins.
    expect(await upstream.nudge(t.id, clock + 2)).toBe(true);
    const handedBack = await upstream.scheduleCheck(t.id, 'tok2', 'queued', { dueAt: clock + 60_000, seenNudges: again[0]?.nudges ?? 0 }, clock + 3);
    expect(handedBack).toBe(true);
    expect(await tasks.claimDue(clock + 3, 1, 30_000, 'tok3', 'remote')).toHaveLength(1);
    expect(claimed.id).toBe(t.id);
  });

  it("keeps a callback's body for the check it prompts, drops it at the hand-back unless a newer one came, and never keeps one it cannot store", async () => {
    const t = await insertRouted();
    await claimOne('tok');
    await upstream.reserve(t.id, 'tok', 'ch', 1, clock);
    await upstream.accepted(t.id, 'tok', 'up-1', { checkAt: clock + 60_000, seenNudges: 0 }, clock);
    expect(await upstream.nudge(t.id, clock, '{"task_status":"processing"}')).toBe(true);
    const [first] = await tasks.claimDue(clock, 1, 30_000, 'tok2', 'remote');
    expect(await upstream.callbackBody(t.id)).toBe('{"task_status":"processing"}');
    // A newer callback during the lease: kept through the hand-back (last one wins).
    await upstream.nudge(t.id, clock, '{"task_status":"succeed"}');
    await upstream.scheduleCheck(t.id, 'tok2', 'queued', { dueAt: clock + 60_000, seenNudges: first?.nudges ?? 0 }, clock);
    expect(await upstream.callbackBody(t.id)).toBe('{"task_status":"succeed"}');
    // Read by this check and handed back with no newer one: gone.
    const [second] = await tasks.claimDue(clock, 1, 30_000, 'tok3', 'remote');
    await upstream.scheduleCheck(t.id, 'tok3', 'queued', { dueAt: clock + 60_000, seenNudges: second?.nudges ?? 0 }, clock);
    expect(await upstream.callbackBody(t.id)).toBeNull();
    // A NUL (PostgreSQL text refuses it) or an oversized body still wakes the task, without its body.
    expect(await upstream.nudge(t.id, clock, '{"x":"\u0000"}')).toBe(true);
    expect(await upstream.callbackBody(t.id)).toBeNull();
    expect(await upstream.nudge(t.id, clock, 'x'.repeat(MAX_CALLBACK_BODY + 1))).toBe(true);
    expect(await upstream.callbackBody(t.id)).toBeNull();
  });

  it('makes an accepted task due at once when its callback came in before the accept was written', async () => {
    const t = await insertRouted();
    const claimed = await claimOne('tok');
    await upstream.reserve(t.id, 'tok', 'ch', 1, clock);
    await upstream.nudge(t.id, clock);
    expect(await upstream.accepted(t.id, 'tok', 'up-1', { checkAt: clock + 60_000, seenNudges: claimed.nudges }, clock)).toBe(true);
    expect(await tasks.claimDue(clock, 1, 30_000, 'x', 'remote')).toHaveLength(1);
  });

  it('counts checks and mirror failures, and moves queued to running once', async () => {
    const t = await insertRouted();
    await claimOne('tok');
    await upstream.reserve(t.id, 'tok', 'ch', 1, clock);
    await upstream.accepted(t.id, 'tok', 'up-1', { checkAt: clock, seenNudges: 0 }, clock);
    const [c] = await tasks.claimDue(clock, 1, 30_000, 'tok2', 'remote');
    expect(await upstream.running(t.id, 'tok2', 0, clock)).toBe(true);
    expect(await upstream.running(t.id, 'tok2', 0, clock)).toBe(false);
    await upstream.scheduleCheck(t.id, 'tok2', 'running', { dueAt: clock, seenNudges: c?.nudges ?? 0, progress: 40, mirrorFailed: true }, clock);
    expect(await tasks.get(t.id)).toMatchObject({ status: 'running', progress: 40, checks: 1, mirrorFailures: 1 });
  });

  it('does not nudge a finished or unknown task', async () => {
    const t = await insertRouted();
    await claimOne('tok');
    await tasks.fail(t.id, 'tok', 'queued', { code: 'upstream_failed', message: 'x' }, clock);
    expect(await upstream.nudge(t.id, clock)).toBe(false);
    expect(await upstream.nudge('nope', clock)).toBe(false);
  });
});
