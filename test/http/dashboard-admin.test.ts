/**
 * The admin dashboard pages over real HTTP: master only (404 for any other session), keys
 * created, limited and revoked through forms with the API feeling it at once, the usage charts
 * drawn from a real completed task, and a webhook delivery listed and replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, type DashboardClient } from '../support/dashboard-client.ts';
import { startTestServer, waitForKlingTask, type CreatedKey, type TestServer } from '../support/server.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const PAGES = ['keys', 'channels', 'usage', 'deliveries'] as const;

let server: TestServer;
let receiver: Receiver;
let admin: DashboardClient;
let user: DashboardClient;
let userKey: CreatedKey;

beforeAll(async () => {
  receiver = await startReceiver();
  server = await startTestServer({ env: { REELAY_ALLOW_PRIVATE_URLS: 'true' }, configFile: { worker: { concurrency: 2 } } });
  admin = await signIn(server.url, server.masterKey);
  userKey = await server.createKey('plain');
  user = await signIn(server.url, userKey.key);
});

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
});

const pricingStatus = async (key: string) => (await server.api('/v1/pricing', { key })).status;

/** The value the page shows for one of a new key's secrets. */
function secret(html: string, name: string): string {
  return new RegExp(`data-secret="${name}">([^<]+)<`).exec(html)?.[1] ?? '';
}

describe('admin pages: who may see them', () => {
  it('renders every page for the master key', async () => {
    for (const page of PAGES) {
      const res = await admin.get(`/dashboard/admin/${page}`);
      expect(res.status, page).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toContain(`href="/dashboard/admin/${page}" class="active"`);
    }
  });

  it('answers 404 to any other session, for pages and forms alike', async () => {
    for (const page of PAGES) expect((await user.get(`/dashboard/admin/${page}`)).status, page).toBe(404);
    expect((await user.get('/dashboard/admin')).status).toBe(404);
    expect((await user.postForm('/dashboard/admin/keys', { name: 'sneaky' })).status).toBe(404);
    expect((await user.postForm(`/dashboard/admin/keys/${userKey.id}/revoke`, {})).status).toBe(404);
    expect((await user.postForm('/dashboard/admin/deliveries/msg_x/replay', {})).status).toBe(404);
    expect(await pricingStatus(userKey.key)).toBe(200);
  });

  it('refuses a form without the CSRF token (403) and changes nothing', async () => {
    const before = ((await (await server.api('/admin/keys')).json()) as { keys: unknown[] }).keys.length;
    expect((await admin.postForm('/dashboard/admin/keys', { name: 'no-token' }, { csrf: null })).status).toBe(403);
    expect((await admin.postForm('/dashboard/admin/keys', { name: 'bad-token' }, { csrf: 'nope' })).status).toBe(403);
    expect((await admin.postForm(`/dashboard/admin/keys/${userKey.id}/revoke`, {}, { csrf: null })).status).toBe(403);
    const after = ((await (await server.api('/admin/keys')).json()) as { keys: unknown[] }).keys.length;
    expect(after).toBe(before);
    expect(await pricingStatus(userKey.key)).toBe(200);
  });
});

describe('keys page', () => {
  let created: { id: string; key: string };

  it('creates a key from the form and shows its secrets once', async () => {
    const res = await admin.postForm('/dashboard/admin/keys', { name: 'from the form', rpm: '5', budget_credits: '', webhook_url: receiver.url('/created') });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('shown only this once');
    const key = secret(html, 'key');
    for (const name of ['access_key', 'secret_key', 'webhook_secret']) expect(secret(html, name), name).not.toBe('');
    expect(secret(html, 'webhook_secret')).toMatch(/^whsec_/);
    expect(await pricingStatus(key)).toBe(200);

    const listed = ((await (await server.api('/admin/keys')).json()) as { keys: Array<{ id: string; name: string; rpm: number | null; webhook_url: string | null }> }).keys;
    const row = listed.find((k) => k.name === 'from the form');
    expect(row).toMatchObject({ rpm: 5, webhook_url: receiver.url('/created') });
    created = { id: row?.id ?? '', key };

    const again = await (await admin.get('/dashboard/admin/keys')).text();
    expect(again).toContain('from the form');
    expect(again).toContain(created.id);
    expect(again).not.toContain(key);
    expect(again).not.toContain(secret(html, 'secret_key'));
  });

  it('saves limits from the edit form: on the page and in the API', async () => {
    const res = await admin.postForm(`/dashboard/admin/keys/${created.id}`, {
      budget_credits: '12.5',
      rpm: '7',
      max_concurrency: '3',
      models: 'kling-v3',
      expires_at: '2030-01-02T03:04',
      webhook_url: '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/dashboard\/admin\/keys\?done=saved/);
    const json = (await (await server.api(`/admin/keys/${created.id}`)).json()) as Record<string, unknown>;
    expect(json).toMatchObject({ budget_credits: 12.5, rpm: 7, max_concurrency: 3, models: ['kling-v3'], expires_at: '2030-01-02T03:04:00.000Z', webhook_url: null });
    const html = await (await admin.get(res.headers.get('location') ?? '')).text();
    expect(html).toContain('The limits are saved.');
    expect(html).toContain('12.5 credits');
    expect(html).toContain('value="7"');
    expect(html).toContain('2030-01-02 03:04:00 UTC');

    // An empty field takes the limit away again.
    expect((await admin.postForm(`/dashboard/admin/keys/${created.id}`, { budget_credits: '', rpm: '', max_concurrency: '3', models: '', expires_at: '', webhook_url: '' })).status).toBe(303);
    expect(await (await server.api(`/admin/keys/${created.id}`)).json()).toMatchObject({ budget_credits: null, rpm: null, max_concurrency: 3, models: null, expires_at: null });
  });

  it('shows a rejected form on the page (400) naming the field, never a 500', async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      [`/dashboard/admin/keys/${created.id}`, { rpm: '-3' }, /rpm must be at least 1/],
      [`/dashboard/admin/keys/${created.id}`, { max_concurrency: 'lots' }, /max_concurrency must be a whole number/],
      [`/dashboard/admin/keys/${created.id}`, { budget_credits: '-1' }, /budget_credits must be at least 0/],
      [`/dashboard/admin/keys/${created.id}`, { models: 'kling-v9' }, /models: &quot;kling-v9&quot; is not served here/],
      [`/dashboard/admin/keys/${created.id}`, { expires_at: 'soon' }, /expires_at must be an RFC 3339 date-time/],
      ['/dashboard/admin/keys', { name: '' }, /name must not be empty/],
      ['/dashboard/admin/keys', { name: 'bad hook', webhook_url: 'ftp://example.com/x' }, /webhook_url/],
      ['/dashboard/admin/keys', { name: 'bad rpm', rpm: '1.5' }, /rpm must be a whole number/],
    ];
    for (const [path, form, message] of cases) {
      const res = await admin.postForm(path, form);
      const html = await res.text();
      expect(res.status, JSON.stringify(form)).toBe(400);
      expect(html, JSON.stringify(form)).toMatch(message);
      expect(html).toContain('role="alert"');
    }
    // What the rejected create form held comes back, so nothing is typed twice.
    expect(await (await admin.postForm('/dashboard/admin/keys', { name: 'keep me', rpm: '0' })).text()).toContain('value="keep me"');
    // Nothing changed: the key still has the limits it had.
    expect(await (await server.api(`/admin/keys/${created.id}`)).json()).toMatchObject({ rpm: null, max_concurrency: 3 });
    expect(((await (await server.api('/admin/keys')).json()) as { keys: Array<{ name: string }> }).keys.map((k) => k.name)).not.toContain('keep me');
  });

  it('revokes a key: the API refuses it at once', async () => {
    expect(await pricingStatus(created.key)).toBe(200);
    const res = await admin.postForm(`/dashboard/admin/keys/${created.id}/revoke`, {});
    expect(res.status).toBe(303);
    expect(await pricingStatus(created.key)).toBe(401);
    const html = await (await admin.get(res.headers.get('location') ?? '')).text();
    expect(html).toContain('The key is revoked.');
    expect(html).toMatch(new RegExp(`id="key-${created.id}" class="revoked"`));
    // Twice is a 404 page, not a crash.
    expect((await admin.postForm(`/dashboard/admin/keys/${created.id}/revoke`, {})).status).toBe(404);
  });
});

describe('channels page', () => {
  it('says the preview renderer serves every model when no channel is configured', async () => {
    const html = await (await admin.get('/dashboard/admin/channels')).text();
    expect(html).toContain('No upstream channels are configured');
    expect(html).toMatch(/<strong>preview<\/strong> renderer serves every model/);
    expect(html).toContain('kling-v3');
  });
});

describe('a finished task: usage charts and webhook deliveries', () => {
  let taskId: string;

  beforeAll(async () => {
    const hooked = await server.createKey('hooked');
    const patched = await server.api(`/admin/keys/${hooked.id}`, { method: 'PATCH', json: { webhook_url: receiver.url('/hook') } });
    expect(patched.status).toBe(200);
    const res = await server.api('/v1/videos/text2video', {
      method: 'POST',
      key: hooked.key,
      json: { model_name: 'kling-v3', prompt: 'x', duration: '3', mode: 'std', aspect_ratio: '1:1', sound: 'off' },
    });
    expect(res.status).toBe(200);
    taskId = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const done = await waitForKlingTask(server, `/v1/videos/text2video/${taskId}`, hooked.key, 60_000);
    expect(done.task_status).toBe('succeed');
    await receiver.waitFor('/hook', 1, 30_000);
  }, 120_000);

  it('draws one bar per day and model with data, a legend, and the numbers', async () => {
    const res = await admin.get('/dashboard/admin/usage');
    expect(res.status).toBe(200);
    const html = await res.text();
    const today = new Date().toISOString().slice(0, 10);
    const dayChart = /<svg class="usage-days"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    const bars = [...dayChart.matchAll(/<rect class="bar series-\d+"[^>]*data-day="([^"]+)" data-model="([^"]+)" data-credits="([^"]+)"/g)];
    expect(bars.map((b) => [b[1], b[2]])).toEqual([[today, 'kling-v3']]);
    expect(Number(bars[0]?.[3])).toBeGreaterThan(0);
    const modelChart = /<svg class="usage-models"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect([...modelChart.matchAll(/<rect class="bar[^"]*"[^>]*data-model="kling-v3"/g)]).toHaveLength(1);
    expect(html).toMatch(/<ul class="legend"><li><span class="swatch series-0"><\/span>kling-v3<\/li><\/ul>/);
    // The table's numbers are the JSON report's.
    const report = (await (await server.api('/admin/usage')).json()) as { totals: { credits_captured: number; tasks_created: number } };
    expect(report.totals.tasks_created).toBe(1);
    expect(Number(bars[0]?.[3])).toBeCloseTo(report.totals.credits_captured, 6);
    expect(html).toMatch(/<table class="usage-rows">[\s\S]*kling-v3[\s\S]*<\/table>/);
  });

  it('takes a date range, and names a bad one', async () => {
    const empty = await (await admin.get('/dashboard/admin/usage?from=2020-01-01&to=2020-01-08')).text();
    expect(empty).toContain('No usage in this window.');
    expect(empty.match(/<g data-day=/g)).toHaveLength(7);
    expect(empty).not.toMatch(/<rect class="bar/);
    const bad = await admin.get('/dashboard/admin/usage?from=yesterday');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/from must be an RFC 3339 date-time/);
  });

  it('lists the delivery with its task, and replays it', async () => {
    let html = '';
    // The receiver may have answered before the sender wrote down the outcome.
    for (let i = 0; i < 100; i++) {
      html = await (await admin.get('/dashboard/admin/deliveries?status=delivered')).text();
      if (html.includes(`href="/dashboard/tasks/${taskId}"`)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(html).toContain(`href="/dashboard/tasks/${taskId}"`);
    expect(html).toContain(receiver.url('/hook'));
    expect(html).toContain('badge delivery-delivered');
    expect(html).toContain('HTTP 200');
    expect(await (await admin.get('/dashboard/admin/deliveries?status=failed')).text()).not.toContain(taskId);

    const ids = [...html.matchAll(/id="delivery-(msg_[^"]+)"/g)].map((m) => m[1] ?? '');
    const delivery = ids[0] ?? '';
    expect(delivery).not.toBe('');
    const before = receiver.on('/hook').filter((r) => r.headers['webhook-id'] === delivery).length;
    const res = await admin.postForm(`/dashboard/admin/deliveries/${delivery}/replay`, { back: '/dashboard/admin/deliveries?status=delivered' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/admin/deliveries?status=delivered');
    const deadline = Date.now() + 30_000;
    while (receiver.on('/hook').filter((r) => r.headers['webhook-id'] === delivery).length <= before) {
      if (Date.now() > deadline) throw new Error('the replay never arrived');
      await new Promise((r) => setTimeout(r, 50));
    }

    // `back` is followed only inside the dashboard.
    const away = await admin.postForm(`/dashboard/admin/deliveries/${delivery}/replay`, { back: 'https://evil.example/' });
    expect(away.headers.get('location')).toBe('/dashboard/admin/deliveries');
    const missing = await admin.postForm('/dashboard/admin/deliveries/msg_nope/replay', {});
    expect(missing.status).toBe(404);
  });

  it('refuses a form over 64 KiB sent with the CSRF header, declared or chunked, and creates nothing', async () => {
    const keysNow = async () => ((await (await server.api('/admin/keys')).json()) as { keys: unknown[] }).keys.length;
    const before = await keysNow();
    const origin = new URL(server.url).origin;
    const headers = { cookie: admin.cookie, origin, 'x-csrf-token': admin.csrf, 'content-type': 'application/x-www-form-urlencoded' };
    const form = `name=${'x'.repeat(100_000)}`;
    const declared = await fetch(`${server.url}/dashboard/admin/keys`, { method: 'POST', redirect: 'manual', headers, body: form });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('connection')).toBe('close');
    expect(await declared.text()).toContain('65536 bytes');
    // No Content-Length: the body arrives chunked, so only counting can stop it.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(i === 0 ? 'name=' : 'y'.repeat(4096)));
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}/dashboard/admin/keys`, { method: 'POST', redirect: 'manual', headers, body: chunks, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await keysNow()).toBe(before);
    // A small form with the header still works.
    const small = await fetch(`${server.url}/dashboard/admin/keys`, { method: 'POST', redirect: 'manual', headers, body: 'name=small+form' });
    expect(small.status).toBe(200);
    expect(await keysNow()).toBe(before + 1);
  });
});
