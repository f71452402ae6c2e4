import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MS_PER_DAY } from '../../src/billing/usage.ts';
import { startTestServer, waitForKlingTask, type TestServer } from '../support/server.ts';

type AdminError = { error: { code: string; message: string; request_id: string } };
type KeyView = Record<string, unknown> & { id: string; key: string };

const LIMITS = { budget_credits: 12.5, rpm: 30, max_concurrency: 2, models: ['kling-v3'], expires_at: '2030-01-01T02:00:00+02:00' };
const NO_LIMITS = { budget_credits: null, rpm: null, max_concurrency: null, models: null, expires_at: null };

describe('admin keys with limits, and the usage report', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.stop());

  const post = async (json: unknown) => server.api('/admin/keys', { method: 'POST', json });
  const patch = async (id: string, json: unknown) => server.api(`/admin/keys/${id}`, { method: 'PATCH', json });
  const created = async (json: object): Promise<KeyView> => {
    const res = await post({ name: 'limits', ...json });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as KeyView;
  };
  const expectRefusal = async (res: Response, status: number, code: string, message: string | RegExp) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as AdminError;
    expect(body.error.code).toBe(code);
    if (typeof message === 'string') expect(body.error.message).toBe(message);
    else expect(body.error.message).toMatch(message);
  };

  it('creates a key with every limit and shows them, with nothing spent or held', async () => {
    const key = await created({ ...LIMITS, webhook_url: 'https://example.com/hooks/reelay' });
    const view = {
      ...LIMITS,
      expires_at: '2030-01-01T00:00:00.000Z',
      webhook_url: 'https://example.com/hooks/reelay',
      spent_credits: 0,
      held_credits: 0,
      remaining_credits: 12.5,
      active_tasks: 0,
    };
    expect(key).toMatchObject(view);
    expect(key.key).toMatch(/^rl_/);
    expect(await (await server.api(`/admin/keys/${key.id}`)).json()).toMatchObject(view);
    const listed = (await (await server.api('/admin/keys')).json()) as { keys: KeyView[] };
    expect(listed.keys.find((k) => k.id === key.id)).toMatchObject(view);
  });

  it('creates a key without limits as unlimited', async () => {
    expect(await created({})).toMatchObject({ ...NO_LIMITS, remaining_credits: null });
  });

  it('refuses limits of the wrong type or out of range, naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{ budget_credits: '5' }, 'budget_credits must be a number of credits, or null for unlimited'],
      [{ budget_credits: -1 }, 'budget_credits must be at least 0'],
      [{ rpm: 0 }, 'rpm must be at least 1'],
      [{ rpm: 2.5 }, 'rpm must be a whole number'],
      [{ max_concurrency: 0 }, 'max_concurrency must be at least 1'],
      [{ models: 'kling-v3' }, 'models must be an array of model names, or null for all'],
      [{ models: ['kling-v3', 'kling-v9'] }, 'models: "kling-v9" is not served here (served: kling-v3, kling-v3-turbo)'],
      [{ expires_at: '2030-01-01' }, 'expires_at must be an RFC 3339 date-time (e.g. 2027-01-01T00:00:00Z), or null for never'],
      [{ expires_at: 1893456000000 }, 'expires_at must be an RFC 3339 date-time (e.g. 2027-01-01T00:00:00Z), or null for never'],
    ];
    const key = await created({});
    for (const [body, message] of cases) {
      await expectRefusal(await post({ name: 'bad', ...body }), 400, 'invalid_parameter', message);
      await expectRefusal(await patch(key.id, body), 400, 'invalid_parameter', message);
    }
  });

  it('refuses a PATCH with an unknown field, an empty PATCH, and a PATCH of a key that does not exist', async () => {
    const key = await created({});
    await expectRefusal(await patch(key.id, { rpm: 5, colour: 'red' }), 400, 'invalid_parameter', 'unknown field colour');
    await expectRefusal(await patch(key.id, {}), 400, 'invalid_parameter', /^the body must set at least one of budget_credits, rpm/);
    await expectRefusal(await patch('key_nobody', { rpm: 5 }), 404, 'key_not_found', /key_nobody/);
    expect(await (await server.api(`/admin/keys/${key.id}`)).json()).toMatchObject(NO_LIMITS);
  });

  it('sets limits with PATCH, leaves the fields it does not name alone, and clears them with null', async () => {
    const key = await created({});
    const set = await patch(key.id, { ...LIMITS, models: ['kling-v3-turbo', 'kling-v3-turbo'] });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ ...LIMITS, models: ['kling-v3-turbo'], expires_at: '2030-01-01T00:00:00.000Z', remaining_credits: 12.5 });
    expect(await (await patch(key.id, { rpm: 9 })).json()).toMatchObject({ ...LIMITS, rpm: 9, models: ['kling-v3-turbo'], expires_at: '2030-01-01T00:00:00.000Z' });
    const cleared = await patch(key.id, NO_LIMITS);
    expect(await cleared.json()).toMatchObject({ ...NO_LIMITS, remaining_credits: null });
    expect(await (await server.api(`/admin/keys/${key.id}`)).json()).toMatchObject(NO_LIMITS);
  });

  it('stops a key once PATCH moves its expiry into the past: 401 on Kling (1002) and OpenAI routes', async () => {
    const key = await created({ expires_at: '2099-01-01T00:00:00Z' });
    expect((await server.api('/v1/videos', { key: key.key })).status).toBe(200);
    expect((await patch(key.id, { expires_at: '2020-01-01T00:00:00Z' })).status).toBe(200);

    const kling = await server.api('/v1/videos/text2video', { method: 'POST', key: key.key, json: { prompt: 'a cat', duration: '5' } });
    expect(kling.status).toBe(401);
    expect(await kling.json()).toMatchObject({ code: 1002, message: expect.stringMatching(/expired at 2020-01-01T00:00:00.000Z/) });
    const openai = await server.api('/v1/videos', { key: key.key });
    expect(openai.status).toBe(401);
    expect(await openai.json()).toMatchObject({ error: { code: 'invalid_api_key', message: expect.stringMatching(/expired/) } });
    // Clearing the expiry lets it in again.
    expect((await patch(key.id, { expires_at: null })).status).toBe(200);
    expect((await server.api('/v1/videos', { key: key.key })).status).toBe(200);
  });

  it('lets only the master key read /admin/usage', async () => {
    const key = await created({});
    await expectRefusal(await server.api('/admin/usage', { key: key.key }), 403, 'forbidden', 'only the master key may use /admin');
    expect((await server.api('/admin/usage', { key: '' })).status).toBe(401);
  });

  it('refuses a usage window it cannot read, naming the field', async () => {
    await expectRefusal(await server.api('/admin/usage?from=yesterday'), 400, 'invalid_parameter', /^from must be an RFC 3339 date-time/);
    await expectRefusal(await server.api('/admin/usage?to=2026-13-01'), 400, 'invalid_parameter', /^to must be an RFC 3339 date-time/);
    await expectRefusal(await server.api('/admin/usage?from=2026-11-02&to=2026-11-01'), 400, 'invalid_parameter', /^from \(2026-11-02T00:00:00.000Z\) must be before to/);
  });

  it('reports a finished task in /admin/usage and in the key: 3 credits held, then captured', async () => {
    const key = await created({ budget_credits: 10 });
    const res = await server.api('/v1/videos/text2video', { method: 'POST', key: key.key, json: { prompt: 'a cat', duration: '5' } });
    expect(res.status).toBe(200);
    const taskId = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    expect((await waitForKlingTask(server, `/v1/videos/text2video/${taskId}`, key.key)).task_status).toBe('succeed');

    expect(await (await server.api(`/admin/keys/${key.id}`)).json()).toMatchObject({ spent_credits: 3, held_credits: 0, remaining_credits: 7, active_tasks: 0 });
    const before = Date.now();
    const usage = await server.api(`/admin/usage?key=${key.id}`);
    expect(usage.status).toBe(200);
    const body = (await usage.json()) as { from: string; to: string; key: string; rows: unknown[]; totals: unknown };
    const counts = { credits_held: 3, credits_captured: 3, credits_released: 0, tasks_created: 1, tasks_completed: 1, tasks_failed: 0, tasks_canceled: 0, tasks_refunded: 0 };
    expect(body).toEqual({
      from: expect.any(String),
      to: expect.any(String),
      key: key.id,
      rows: [{ day: new Date().toISOString().slice(0, 10), key_id: key.id, key_name: 'limits', model: 'kling-v3', tier: 'std', ...counts }],
      totals: counts,
    });
    expect(Date.parse(body.to)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(30 * MS_PER_DAY);

    const all = (await (await server.api('/admin/usage')).json()) as { key: null; rows: Array<{ key_id: string }> };
    expect(all.key).toBeNull();
    expect(all.rows.map((r) => r.key_id)).toContain(key.id);
    const tomorrow = new Date(Date.now() + MS_PER_DAY).toISOString().slice(0, 10);
    expect(await (await server.api(`/admin/usage?key=${key.id}&from=${tomorrow}&to=${tomorrow}T12:00:00Z`)).json()).toMatchObject({ rows: [], totals: { credits_captured: 0 } });
  });
});
