/**
 * Callbacks end to end: a real Reelay (private targets allowed, as in development) posting to a
 * real receiver on 127.0.0.1; every delivery is verified with the standardwebhooks library.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/databases.ts';
import { startPostgresTestServer, type CreatedKey, type TestServer } from '../support/server.ts';
import { startReceiver, webhookSuite, type Receiver, type Received } from '../support/webhook-receiver.ts';

type Listed = { id: string; task_id: string; url: string; event: string; status: string; attempts: number; last_status: number | null; last_error: string | null; delivered_at: number | null };

let server: TestServer;
let receiver: Receiver;
let key: CreatedKey;
webhookSuite((suite) => ({ server, receiver, key } = suite));

/** The payload, after its signature checked out under `secret`. */
function verified(secret: string, r: Received): Record<string, unknown> {
  return new Webhook(secret).verify(r.body, r.headers) as Record<string, unknown>;
}

async function post(path: string, json: unknown, as: string = key.key): Promise<Record<string, unknown> & { data?: Record<string, string> }> {
  const res = await server.api(path, { method: 'POST', json, key: as });
  const body = (await res.json()) as Record<string, unknown> & { data?: Record<string, string> };
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

async function deliveriesOf(taskId: string): Promise<Listed[]> {
  const res = await server.api(`/admin/deliveries?task_id=${encodeURIComponent(taskId)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: Listed[] }).deliveries;
}

/** Until the task's deliveries all left `pending` (there are `count` of them). */
async function settled(taskId: string, count: number): Promise<Listed[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const list = await deliveriesOf(taskId);
    if (list.length === count && list.every((d) => d.status !== 'pending')) return list;
    if (Date.now() > deadline) throw new Error(`deliveries of ${taskId} did not settle: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('callbacks from the Kling dialects', () => {
  it('posts the §1.7 payload, signed, for running and then completed, with Reelay links', async () => {
    const hook = receiver.url('/kling');
    const created = await post('/v1/videos/text2video', { model_name: 'kling-v3', prompt: 'a lighthouse at dusk', duration: '3', callback_url: hook, external_task_id: 'ext-cb-1' });
    const taskId = created.data?.task_id as string;

    const [running, completed] = await receiver.waitFor('/kling', 2);
    const first = verified(key.webhook_secret, running as Received);
    const last = verified(key.webhook_secret, completed as Received);
    expect(first).toMatchObject({ task_id: taskId, task_status: 'processing', task_status_msg: '', task_info: { external_task_id: 'ext-cb-1' } });
    expect(first).not.toHaveProperty('task_result');
    expect(last).toMatchObject({ task_id: taskId, task_status: 'succeed', task_status_msg: '', final_unit_deduction: '1.8', task_info: { external_task_id: 'ext-cb-1' } });
    for (const body of [first, last]) {
      expect(typeof body.created_at).toBe('number');
      expect(typeof body.updated_at).toBe('number');
    }
    const videos = (last.task_result as { videos: Array<{ id: string; url: string; duration: string }> }).videos;
    expect(videos).toHaveLength(1);
    expect(videos[0]?.url.startsWith(`${server.url}/media/`)).toBe(true);
    expect(Number(videos[0]?.duration)).toBeGreaterThan(2.5);
    expect((await fetch(videos[0]?.url as string)).status).toBe(200);

    // One webhook-id per status change; the content type is JSON.
    const ids = [running?.headers['webhook-id'], completed?.headers['webhook-id']];
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((id) => id?.startsWith('msg_'))).toBe(true);
    expect(running?.headers['content-type']).toBe('application/json');

    const listed = await settled(taskId, 2);
    expect(listed.map((d) => [d.event, d.status, d.attempts, d.last_status, d.task_id, d.url])).toEqual([
      ['running', 'delivered', 1, 200, taskId, hook],
      ['completed', 'delivered', 1, 200, taskId, hook],
    ]);
    expect(listed.map((d) => d.id)).toEqual(ids);
  });

  it('posts the new-design task object (§1.11) for a kling-new task, and new-api ids for the passthrough', async () => {
    const created = await post('/text-to-video/kling-3.0', { prompt: 'a paper boat on a pond', settings: { duration: 3 }, options: { callback_url: receiver.url('/kling-new') } });
    const id = created.data?.id as string;
    const [running, completed] = await receiver.waitFor('/kling-new', 2);
    expect(verified(key.webhook_secret, running as Received)).toMatchObject({ id, status: 'processing', outputs: [] });
    const done = verified(key.webhook_secret, completed as Received);
    expect(done).toMatchObject({ id, status: 'succeeded', billing: [{ charge_type: 'unit', package_type: 'video' }] });
    expect((done.outputs as Array<{ url: string }>)[0]?.url.startsWith(`${server.url}/media/`)).toBe(true);

    const passthrough = await post('/kling/v1/videos/text2video', { model_name: 'kling-v3', prompt: 'a kite', duration: '3', callback_url: receiver.url('/newapi') });
    const [, finished] = await receiver.waitFor('/newapi', 2);
    expect(verified(key.webhook_secret, finished as Received)).toMatchObject({ task_id: passthrough.task_id, task_status: 'succeed' });
    expect(String(passthrough.task_id)).toMatch(/^task_[0-9A-Za-z]{32}$/);
  });
});

describe('callbacks from EvoLink', () => {
  it('posts only the terminal status, with the same body GET /v1/tasks/{id} answers', async () => {
    const created = await post('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'a red balloon', duration: 3, callback_url: receiver.url('/evolink') });
    const id = created.id as string;
    const [only] = await receiver.waitFor('/evolink', 1);
    const body = verified(key.webhook_secret, only as Received);
    expect(body).toMatchObject({ id, object: 'video.generation.task', status: 'completed', progress: 100 });
    const queried = (await (await server.api(`/v1/tasks/${id}`, { key: key.key })).json()) as Record<string, unknown>;
    const withoutLinks = (b: Record<string, unknown>) => ({ ...b, results: (b.results as string[]).map((u) => u.split('?')[0]) });
    expect(withoutLinks(body)).toEqual(withoutLinks(queried));
    const listed = await settled(id, 1);
    expect(listed.map((d) => [d.event, d.status])).toEqual([['completed', 'delivered']]);
    // Nothing more comes: running was never posted.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.on('/evolink')).toHaveLength(1);
  });
});

describe('callbacks for a canceled task', () => {
  it('posts the cancelled status to an EvoLink callback, once', async () => {
    // A long render, so the cancel always lands before it could complete.
    const created = await post('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'a long pan', duration: 15, quality: '1080p', callback_url: receiver.url('/canceled') });
    const id = created.id as string;
    expect((await server.api(`/v1/tasks/${id}/cancel`, { method: 'POST', key: key.key })).status).toBe(200);
    const [only] = await receiver.waitFor('/canceled', 1);
    expect(verified(key.webhook_secret, only as Received)).toMatchObject({ id, status: 'cancelled', error: { code: 'request_cancelled' } });
    expect((await settled(id, 1)).map((d) => [d.event, d.status])).toEqual([['canceled', 'delivered']]);
  });
});

describe("a key's default webhook URL and secret", () => {
  it('sends tasks without a callback URL to the key webhook_url, signed with the rotated secret', async () => {
    const tenant = await server.createKey('default-url');
    const patched = await server.api(`/admin/keys/${tenant.id}`, { method: 'PATCH', json: { webhook_url: receiver.url('/default') } });
    expect(await patched.json()).toMatchObject({ id: tenant.id, webhook_url: receiver.url('/default') });
    const listedKeys = (await (await server.api('/admin/keys')).json()) as { keys: Array<{ id: string; webhook_url: string | null }> };
    expect(listedKeys.keys.find((k) => k.id === tenant.id)?.webhook_url).toBe(receiver.url('/default'));

    const rotated = (await (await server.api(`/admin/keys/${tenant.id}/webhook-secret`, { method: 'POST' })).json()) as { id: string; webhook_secret: string };
    expect(rotated.id).toBe(tenant.id);
    expect(rotated.webhook_secret).toMatch(/^whsec_/);
    expect(rotated.webhook_secret).not.toBe(tenant.webhook_secret);

    // OpenAI has no callback field: its terminal GET body goes to the key's URL.
    const video = await post('/v1/videos', { model: 'kling-v3', prompt: 'a spinning top', seconds: '4' }, tenant.key);
    const [delivered] = await receiver.waitFor('/default', 1);
    expect(verified(rotated.webhook_secret, delivered as Received)).toMatchObject({ id: video.id, object: 'video', status: 'completed' });
    expect(() => verified(tenant.webhook_secret, delivered as Received)).toThrow();

    // A task's own callback URL wins over the key's.
    await post('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'a top', duration: 3, callback_url: receiver.url('/own') }, tenant.key);
    await receiver.waitFor('/own', 1);
    expect(receiver.on('/default')).toHaveLength(1);

    // Cleared: nothing more goes to the default URL.
    const cleared = await server.api(`/admin/keys/${tenant.id}`, { method: 'PATCH', json: { webhook_url: null } });
    expect(await cleared.json()).toMatchObject({ id: tenant.id, webhook_url: null });
  });

  it('refuses a webhook URL the operator does not allow, unknown keys, and bodies without webhook_url', async () => {
    const bad = await server.api(`/admin/keys/${key.id}`, { method: 'PATCH', json: { webhook_url: 'ftp://example.com/x' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_parameter', message: 'webhook_url must be an absolute http(s) URL' } });
    const missing = await server.api(`/admin/keys/${key.id}`, { method: 'PATCH', json: {} });
    expect(missing.status).toBe(400);
    expect((await server.api('/admin/keys/key_nope', { method: 'PATCH', json: { webhook_url: null } })).status).toBe(404);
    expect((await server.api('/admin/keys/key_nope/webhook-secret', { method: 'POST' })).status).toBe(404);
    expect((await server.api(`/admin/keys/${key.id}/webhook-secret`, { method: 'POST', key: key.key })).status).toBe(403);
  });
});

describe('the admin deliveries API', () => {
  it('replays a delivered delivery as a new attempt series with the same webhook-id and fresh links', async () => {
    const created = await post('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'a clock', duration: 3, callback_url: receiver.url('/replay') });
    const id = created.id as string;
    const [original] = await receiver.waitFor('/replay', 1);
    const [delivery] = await settled(id, 1);
    // Links carry their expiry in whole seconds: a replay a second later must carry later ones.
    await new Promise((r) => setTimeout(r, 1100));

    const replayed = await server.api(`/admin/deliveries/${delivery?.id}/replay`, { method: 'POST' });
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toMatchObject({ id: delivery?.id, status: 'pending', attempts: 0, last_status: null, delivered_at: null });
    const [, again] = await receiver.waitFor('/replay', 2);
    expect(again?.headers['webhook-id']).toBe(original?.headers['webhook-id']);
    expect(verified(key.webhook_secret, again as Received)).toMatchObject({ id, status: 'completed' });
    const expiry = (r: Received) => Number(new URL((JSON.parse(r.body) as { results: string[] }).results[0] as string).searchParams.get('exp'));
    expect(expiry(again as Received)).toBeGreaterThan(expiry(original as Received));
    const [after] = await settled(id, 1);
    expect(after).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200 });
    // The internal id lists the same deliveries as the public one.
    const internal = ((await (await server.api(`/admin/deliveries?task_id=${id}`)).json()) as { deliveries: Array<{ internal_task_id: string }> }).deliveries[0]?.internal_task_id;
    expect((await deliveriesOf(internal as string)).map((d) => d.id)).toEqual([delivery?.id]);
  });

  it('answers unknown deliveries, a missing task_id and other keys in the admin envelope', async () => {
    const unknown = await server.api('/admin/deliveries/msg_nope/replay', { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'delivery_not_found' } });
    const missing = await server.api('/admin/deliveries');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'invalid_parameter', message: "task_id is required: a task's public or internal id" } });
    expect(await deliveriesOf('no-such-task')).toEqual([]);
    expect((await server.api('/admin/deliveries?task_id=x', { key: key.key })).status).toBe(403);
    expect((await server.api('/admin/deliveries?task_id=x', { key: '' })).status).toBe(401);
  });

  it('lists no secret and no body', async () => {
    const created = await post('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'a quiet room', duration: 3, callback_url: receiver.url('/secretless') });
    await receiver.waitFor('/secretless', 1);
    const raw = await (await server.api(`/admin/deliveries?task_id=${created.id as string}`)).text();
    expect(raw).not.toContain(key.webhook_secret);
    expect(raw).not.toContain('"body"');
    expect(raw).not.toContain('/media/');
  });
});

describe('callback URLs and the master key', () => {
  it('refuses a callback URL on a task created with the master key, which has no webhook secret', async () => {
    const res = await server.api('/v1/videos/text2video', { method: 'POST', json: { model_name: 'kling-v3', prompt: 'x', callback_url: receiver.url('/master') } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 1201, message: expect.stringMatching(/^callback_url needs an API key's webhook secret/) });
  });
});

describe.runIf(postgresUrl)('callbacks on PostgreSQL', () => {
  let pg: TestServer | undefined;
  let hooks: Receiver | undefined;
  beforeAll(async () => {
    hooks = await startReceiver();
    pg = await startPostgresTestServer(postgresUrl as string, { env: { REELAY_ALLOW_PRIVATE_URLS: 'true' } });
  });
  afterAll(async () => {
    await pg?.stop();
    await hooks?.close();
  });

  it('queues with the status change and delivers running and completed, signed', async () => {
    const tenant = await (pg as TestServer).createKey('pg');
    const res = await (pg as TestServer).api('/v1/videos/text2video', { method: 'POST', key: tenant.key, json: { model_name: 'kling-v3', prompt: 'a pier', duration: '3', callback_url: hooks?.url('/pg') } });
    const taskId = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const got = await (hooks as Receiver).waitFor('/pg', 2);
    expect(got.map((r) => (new Webhook(tenant.webhook_secret).verify(r.body, r.headers) as { task_status: string }).task_status)).toEqual(['processing', 'succeed']);
    const listed = (await (await (pg as TestServer).api(`/admin/deliveries?task_id=${taskId}`)).json()) as { deliveries: Array<{ event: string }> };
    expect(listed.deliveries.map((d) => d.event)).toEqual(['running', 'completed']);
  });
});
