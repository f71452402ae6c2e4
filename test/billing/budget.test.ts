/**
 * A key's budget end to end on a real server with the preview renderer: holds at create, a clean
 * refusal when the budget cannot cover the next hold, captures at the delivered duration, exact
 * refunds for failed and canceled tasks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitForKlingTask, type CreatedKey, type TestServer } from '../support/server.ts';
import { expectBalanced } from '../support/billing.ts';

type KlingCreated = { code: number; message: string; data: { task_id: string; task_status: string } };
const FIVE_SECONDS_STD = { model_name: 'kling-v3', prompt: 'a cat on a windowsill', duration: '5', mode: 'std', aspect_ratio: '16:9' };
const CREDIT = 1_000_000;

describe('a key with a budget', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
  });
  afterAll(async () => server?.stop());

  const keyWith = async (limits: object): Promise<CreatedKey> => {
    const res = await server.api('/admin/keys', { method: 'POST', json: { name: 'budgeted', ...limits } });
    expect(res.status).toBe(201);
    return (await res.json()) as CreatedKey;
  };
  const create = (key: string, body: object = FIVE_SECONDS_STD) => server.api('/v1/videos/text2video', { method: 'POST', key, json: body });
  const keyView = async (id: string) => (await (await server.api(`/admin/keys/${id}`)).json()) as Record<string, unknown>;
  const taskCount = async (keyId: string) => (await server.db.kysely.selectFrom('tasks').select('id').where('key_id', '=', keyId).execute()).length;

  it('gets exactly three 5 s std tasks from a budget of 9 credits, and a clean refusal on the fourth', async () => {
    // 5 s × 0.6 credits/s (720p, no audio: spec §1.12) = 3 credits a task.
    const key = await keyWith({ budget_credits: 9 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await create(key.key);
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as KlingCreated).data.task_id);
    }
    expect(await keyView(key.id)).toMatchObject({ budget_credits: 9, held_credits: 9, spent_credits: 0, remaining_credits: 0, active_tasks: expect.any(Number) });

    const fourth = await create(key.key);
    expect(fourth.status).toBe(429);
    const refusal = (await fourth.json()) as KlingCreated;
    expect(refusal).toMatchObject({ code: 1102 });
    expect(refusal.message).toContain('needs 3 credits');
    expect(refusal.message).toContain('has 0 left');
    expect(await taskCount(key.id)).toBe(3);

    for (const id of ids) expect((await waitForKlingTask(server, `/v1/videos/text2video/${id}`, key.key)).task_status).toBe('succeed');
    // Captured at the delivered duration (5 s): 3 credits each, nothing released.
    const money = await expectBalanced(server.db.kysely, key.id);
    expect(money).toMatchObject({ holds: 3, held: 9 * CREDIT, captured: 9 * CREDIT, released: 0, heldMicros: 0, spentMicros: 9 * CREDIT, activeTasks: 0 });
    const done = (await (await server.api(`/v1/videos/text2video/${ids[0]}`, { key: key.key })).json()) as { data: { final_unit_deduction: string } };
    expect(done.data.final_unit_deduction).toBe('3');
    expect((await create(key.key)).status).toBe(429);

    // A larger budget lets exactly one more in.
    expect((await server.api(`/admin/keys/${key.id}`, { method: 'PATCH', json: { budget_credits: 12 } })).status).toBe(200);
    expect((await create(key.key)).status).toBe(200);
    expect((await create(key.key)).status).toBe(429);
  });

  it('refunds a failed task exactly: its image cannot be fetched, so it fails and its hold is released in full', async () => {
    const key = await keyWith({ budget_credits: 4.5 });
    // 1080p with audio: 5 s × 1.2 = 6 credits, over budget; 720p with audio 5 × 0.9 = 4.5 fits exactly.
    const image2video = (mode: string) =>
      server.api('/v1/videos/image2video', { method: 'POST', key: key.key, json: { model_name: 'kling-v3', image: 'http://127.0.0.1:9/missing.png', duration: '5', mode, sound: 'on' } });
    expect((await image2video('pro')).status).toBe(429);
    const res = await image2video('std');
    expect(res.status).toBe(200);
    const id = ((await res.json()) as KlingCreated).data.task_id;
    expect((await waitForKlingTask(server, `/v1/videos/image2video/${id}`, key.key)).task_status).toBe('failed');
    const money = await expectBalanced(server.db.kysely, key.id);
    expect(money).toMatchObject({ holds: 1, held: 4.5 * CREDIT, captured: 0, released: 4.5 * CREDIT, heldMicros: 0, spentMicros: 0, activeTasks: 0 });
    // The refund is spendable again at once.
    expect(await keyView(key.id)).toMatchObject({ remaining_credits: 4.5, spent_credits: 0, held_credits: 0 });
  });

  it('refunds canceled tasks exactly, whether they were queued or rendering', async () => {
    const key = await keyWith({ budget_credits: 100 });
    // One render at a time: the first (long, large) renders while the second waits.
    const long = { ...FIVE_SECONDS_STD, duration: '15', mode: 'pro' };
    const first = ((await (await create(key.key, long)).json()) as KlingCreated).data.task_id;
    const second = ((await (await create(key.key, long)).json()) as KlingCreated).data.task_id;
    const internal = async (publicId: string) =>
      (await server.db.kysely.selectFrom('tasks').select(['status']).where('public_id', '=', publicId).executeTakeFirstOrThrow()).status;
    const deadline = Date.now() + 30_000;
    while ((await internal(first)) !== 'running') {
      if (Date.now() > deadline) throw new Error('the render did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const id of [second, first]) expect((await server.api(`/v1/tasks/${id}/cancel`, { method: 'POST', key: key.key })).status).toBe(200);
    for (const id of [first, second]) expect((await waitForKlingTask(server, `/v1/videos/text2video/${id}`, key.key)).task_status).toBe('failed');
    expect(await internal(first)).toBe('canceled');
    expect(await internal(second)).toBe('canceled');
    // 15 s × 0.8 credits/s = 12 credits each, all of it back.
    const money = await expectBalanced(server.db.kysely, key.id);
    expect(money).toMatchObject({ holds: 2, held: 24 * CREDIT, captured: 0, released: 24 * CREDIT, heldMicros: 0, spentMicros: 0, activeTasks: 0 });
  });
});
