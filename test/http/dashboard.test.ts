/**
 * The dashboard's sessions and task pages over real HTTP: signing in and out, the cookie's
 * attributes, CSRF and Origin checks, who sees which task, the live list and task page streams,
 * cancel, escaping, and the security headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, type DashboardClient } from '../support/dashboard-client.ts';
import { startTestServer, type CreatedKey, type TestServer } from '../support/server.ts';
import { sseItems, type SseItem } from '../support/sse.ts';

const BODY = { model_name: 'kling-v3', duration: '3', mode: 'std', aspect_ratio: '1:1', sound: 'off' };

async function createTask(server: TestServer, key: string, prompt: string): Promise<string> {
  const res = await server.api('/v1/videos/text2video', { key, method: 'POST', json: { ...BODY, prompt } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { task_id: string } }).data.task_id;
}

/** Events of an SSE response until `until` holds for one (or the time runs out). */
async function eventsUntil(res: Response, until: (e: Extract<SseItem, { kind: 'event' }>) => boolean, timeoutMs = 60_000): Promise<Array<Extract<SseItem, { kind: 'event' }>>> {
  const seen: Array<Extract<SseItem, { kind: 'event' }>> = [];
  const abort = setTimeout(() => void res.body?.cancel().catch(() => undefined), timeoutMs);
  try {
    for await (const item of sseItems(res)) {
      if (item.kind !== 'event') continue;
      seen.push(item);
      if (until(item)) return seen;
    }
  } finally {
    clearTimeout(abort);
  }
  throw new Error(`the stream ended first; saw ${JSON.stringify(seen.map((e) => e.event + ' ' + e.data.slice(0, 80)))}`);
}

describe('dashboard sessions and task pages', () => {
  let server: TestServer;
  let alice: CreatedKey;
  let bob: CreatedKey;
  let asAlice: DashboardClient;
  let asMaster: DashboardClient;
  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    alice = await server.createKey('alice');
    bob = await server.createKey('bob');
    asAlice = await signIn(server.url, alice.key);
    asMaster = await signIn(server.url, server.masterKey);
  });
  afterAll(async () => server?.stop());

  it('sends a visitor without a session to sign in, and back where they were going after', async () => {
    const res = await fetch(`${server.url}/dashboard/tasks`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard%2Ftasks');
    const page = await fetch(`${server.url}/dashboard/login`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<form method="post" action="\/dashboard\/login">/);

    const login = (key: string, next: string) =>
      fetch(`${server.url}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key, next }).toString() });
    const ok = await login(alice.key, '/dashboard/tasks?status=completed');
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/dashboard/tasks?status=completed');
    // Never somewhere else.
    for (const next of ['//evil.example/x', 'https://evil.example/', '/admin/keys', '/dashboard/../admin']) {
      const res2 = await login(alice.key, next);
      expect(res2.headers.get('location'), next).toBe('/dashboard/tasks');
    }
  });

  it('sets an HttpOnly, SameSite=Strict cookie scoped to /dashboard, holding no key', async () => {
    const res = await fetch(`${server.url}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: alice.key }).toString() });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^reelay_session=[^;]+;/);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Path=\/dashboard/);
    expect(cookie).toMatch(/; Max-Age=43200/);
    expect(cookie).not.toMatch(/; Secure/i);
    expect(decodeURIComponent(cookie)).not.toContain(alice.key);
    expect(decodeURIComponent(cookie)).toContain(alice.id);
  });

  it('marks the cookie Secure when the public URL is https', async () => {
    const https = await startTestServer({ env: { REELAY_PUBLIC_URL: 'https://reelay.example.com' } });
    try {
      const res = await fetch(`${https.url}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { origin: https.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: https.masterKey }).toString() });
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(/; Secure/i);
    } finally {
      await https.stop();
    }
  });

  it('refuses unknown keys, and cookies that were altered', async () => {
    const bad = await fetch(`${server.url}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: 'key=rl_nope' });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('That key is unknown, revoked or expired.');
    expect(bad.headers.get('set-cookie')).toBeNull();
    const [name, value] = asAlice.cookie.split('=') as [string, string];
    // Another key's id under alice's signature.
    const forged = `${name}=${encodeURIComponent(decodeURIComponent(value).replace(alice.id, bob.id))}`;
    const res = await fetch(`${server.url}/dashboard/tasks`, { headers: { cookie: forged }, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/dashboard\/login/);
  });

  it('checks the CSRF token and the Origin of every POST', async () => {
    const id = await createTask(server, alice.key, 'csrf target');
    const noToken = await asAlice.postForm(`/dashboard/tasks/${id}/cancel`, {}, { csrf: null });
    expect(noToken.status).toBe(403);
    const wrong = await asAlice.postForm(`/dashboard/tasks/${id}/cancel`, {}, { csrf: asMaster.csrf });
    expect(wrong.status).toBe(403);
    const crossSite = await fetch(`${server.url}/dashboard/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: asAlice.cookie, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: asAlice.csrf }).toString(),
    });
    expect(crossSite.status).toBe(403);
    // Still signed in after all of that.
    expect((await asAlice.get('/dashboard/tasks')).status).toBe(200);
  });

  it('shows a key its own tasks only; the master key sees every key with its id', async () => {
    const mine = await createTask(server, alice.key, 'alice <script>alert(1)</script>');
    const theirs = await createTask(server, bob.key, 'bob task');
    const aliceList = await (await asAlice.get('/dashboard/tasks')).text();
    expect(aliceList).toContain(`id="task-${mine}"`);
    expect(aliceList).not.toContain(theirs);
    expect(aliceList).toContain('alice &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(aliceList).not.toContain('<script>alert(1)');
    expect(aliceList).not.toContain('>Keys<');

    expect((await asAlice.get(`/dashboard/tasks/${theirs}`)).status).toBe(404);
    const masterList = await (await asMaster.get('/dashboard/tasks')).text();
    expect(masterList).toContain(`id="task-${mine}"`);
    expect(masterList).toContain(`id="task-${theirs}"`);
    expect(masterList).toContain(bob.id);
    expect(masterList).toContain('>Keys<');
    expect((await asMaster.get(`/dashboard/tasks/${theirs}`)).status).toBe(200);
  });

  it('streams the list live: a new task appears, then its completion', async () => {
    const res = await asAlice.get('/dashboard/tasks/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const id = await createTask(server, alice.key, 'live list');
    const events = await eventsUntil(res, (e) => e.event === 'row' && (JSON.parse(e.data) as { id: string; status: string }).id === id && (JSON.parse(e.data) as { status: string }).status === 'completed', 90_000);
    const rows = events.map((e) => JSON.parse(e.data) as { id: string; status: string; html: string });
    const first = rows.find((r) => r.id === id);
    expect(first?.html).toMatch(new RegExp(`^<tr id="task-${id}"`));
    expect(rows.filter((r) => r.id !== id).every((r) => r.html.includes('task-'))).toBe(true);
    // Only alice's tasks.
    const bobs = await createTask(server, bob.key, 'not for alice');
    expect(rows.some((r) => r.id === bobs)).toBe(false);
  });

  it('shows a finished task: the player, the request, the timeline, upstream, billing', async () => {
    const id = await createTask(server, alice.key, 'finished task page');
    const stream = await asAlice.get(`/dashboard/tasks/${id}/events`);
    const events = await eventsUntil(stream, (e) => e.event === 'completed' || e.event === 'failed', 90_000);
    expect(events.at(-1)?.event).toBe('completed');
    expect(JSON.parse(events.at(-1)?.data ?? '{}')).toEqual({ status: 'completed', progress: 100, cancelPending: false });

    const html = await (await asAlice.get(`/dashboard/tasks/${id}`)).text();
    const src = /<video id="player" controls="" preload="metadata" src="([^"]+)" data-duration="([^"]+)"/.exec(html);
    expect(src, html).not.toBeNull();
    expect(src?.[2]).toBe('3');
    const media = await fetch((src?.[1] ?? '').replaceAll('&amp;', '&'));
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('video/mp4');
    for (const text of ['finished task page', 'kling-v3', '<dt>tier</dt><dd>std</dd>', '<strong>queued</strong>', '<strong>running</strong>', '<strong>completed</strong>', '<strong>billing: hold</strong>', '<strong>billing: capture</strong>', '<dt>provider</dt><dd>preview</dd>', 'a preview render, not AI video']) {
      expect(html, text).toContain(text);
    }
    expect(html).not.toContain('>Cancel<');
  });

  it('cancels a queued task from its page', async () => {
    const idle = await startTestServer();
    try {
      await idle.worker.stop();
      const key = await idle.createKey('idle');
      const id = await createTask(idle, key.key, 'to cancel');
      const client = await signIn(idle.url, key.key);
      const page = await (await client.get(`/dashboard/tasks/${id}`)).text();
      expect(page).toContain('>Cancel<');
      const res = await client.postForm(`/dashboard/tasks/${id}/cancel`, {});
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/dashboard/tasks/${id}`);
      const api = (await (await idle.api(`/v1/videos/text2video/${id}`, { key: key.key })).json()) as { data: { task_status: string } };
      expect(api.data.task_status).toBe('failed');
      const after = await (await client.get(`/dashboard/tasks/${id}`)).text();
      expect(after).toContain('data-status="canceled"');
    } finally {
      await idle.stop();
    }
  });

  it('ends the session when the key is revoked, and on sign-out', async () => {
    const carol = await server.createKey('carol');
    const asCarol = await signIn(server.url, carol.key);
    expect((await server.api(`/admin/keys/${carol.id}`, { method: 'DELETE' })).status).toBe(200);
    const res = await asCarol.get('/dashboard/tasks');
    expect(res.status).toBe(303);

    const dave = await server.createKey('dave');
    const asDave = await signIn(server.url, dave.key);
    const out = await asDave.postForm('/dashboard/logout', {});
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^reelay_session=;.*Max-Age=0/);
  });

  it('answers an unknown dashboard path with its own 404, and refuses a big form before reading it', async () => {
    const page = await asAlice.get('/dashboard/nope');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('There is no such page.');
    const api = await asAlice.postJson('/dashboard/api/nope', {});
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const id = await createTask(server, alice.key, 'big form');
    const big = await asAlice.postForm(`/dashboard/tasks/${id}/cancel`, { filler: 'x'.repeat(100_000) });
    expect(big.status).toBe(413);
    expect(big.headers.get('connection')).toBe('close');
  });

  it('signs every session out when the master key is replaced', async () => {
    const env = { REELAY_SECRET: 's'.repeat(48) };
    const before = await startTestServer({ env: { ...env, REELAY_MASTER_KEY: 'rlm_before_' + 'a'.repeat(24) } });
    const client = await signIn(before.url, before.masterKey);
    await before.stop();
    const after = await startTestServer({ env: { ...env, REELAY_MASTER_KEY: 'rlm_after_' + 'b'.repeat(24) } });
    try {
      const res = await fetch(`${after.url}/dashboard/tasks`, { headers: { cookie: client.cookie }, redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/dashboard\/login/);
      // The same secret and master key would have kept it.
      const again = await signIn(after.url, after.masterKey);
      expect((await fetch(`${after.url}/dashboard/tasks`, { headers: { cookie: again.cookie } })).status).toBe(200);
    } finally {
      await after.stop();
    }
  });

  it('sends a strict CSP and serves its assets with an ETag', async () => {
    const res = await asAlice.get('/dashboard/tasks');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    for (const asset of ['dashboard.css', 'task-list.js', 'task-page.js']) {
      const a = await fetch(`${server.url}/dashboard/assets/${asset}`);
      expect(a.status, asset).toBe(200);
      const etag = a.headers.get('etag') ?? '';
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect((await fetch(`${server.url}/dashboard/assets/${asset}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    expect((await fetch(`${server.url}/dashboard/assets/..%2Fpackage.json`)).status).toBe(404);
  });
});
