/**
 * Abuse suite (issue 8): tenant isolation. Key A makes a task in every dialect; key B then uses
 * A's ids on every read, list, cancel, events (SSE) and media route of every dialect, and gets
 * 404 in its own dialect's envelope (lists and batch reads simply leave A's tasks out); A itself
 * gets each of them (the control). Reelay's media links are key-less and signed instead: an
 * altered or expired link is 403.
 *
 * How the routes were enumerated: every `app.get/post/delete/on/all` in src/http/routes/*.ts
 * (grep "app\.\(get\|post\|delete\|patch\|on\|all\)" src/http/routes), keeping those that take
 * a task id or list a key's tasks:
 * - kling-routes.ts, mounted at /v1 and /kling/v1: GET /videos/{text2video,image2video}/:id
 *   (id or external_task_id) and GET /videos/{text2video,image2video} (list);
 * - kling-new-routes.ts: GET /tasks?task_ids=|external_task_ids= (batch read), POST /tasks (list);
 * - unified-task-routes.ts: GET /v1/tasks/:id (EvoLink, APIMart);
 * - shared-task-routes.ts: GET /v1/tasks/:id/events (SSE), POST /v1/tasks/:id/cancel (every dialect);
 * - novita-routes.ts: GET /v3/async/task-result?task_id=;
 * - openai-video-routes.ts: GET /v1/videos (list), GET|DELETE /v1/videos/:id, GET /v1/videos/:id/content[?variant=thumbnail];
 * - media-routes.ts: GET|HEAD /media/* (signed links, no key).
 * Not key-scoped, so not here: create routes (they make the caller's own task), admin-,
 * delivery-admin-, usage-admin- and metrics-routes.ts (master key only), upstream-callback-routes.ts
 * (a per-task HMAC token, not a key), health-routes.ts and pricing-routes.ts (no task ids).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkSigner } from '../../src/media/signed-links.ts';
import { apimartErrorProblem, evolinkErrorProblem, klingErrorProblem, novitaErrorProblem, openAiErrorProblem, type Problem } from '../support/chaos-envelopes.ts';
import { startTestServer, waitForKlingTask, type TestServer } from '../support/server.ts';

type Json = Record<string, unknown>;

/** Reelay's own envelope, which the shared routes answer in until they know the task. */
function plainErrorProblem(_status: number, body: unknown): Problem {
  const error = (body as { error?: Json }).error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string' || typeof error.request_id !== 'string') return `not Reelay's {error:{code,message,request_id}}: ${JSON.stringify(body)}`;
  return Object.keys(body as Json).length === 1 ? null : 'extra keys';
}

describe('tenant isolation on every task route (abuse suite)', () => {
  let server: TestServer;
  let a: string;
  let b: string;
  const ids = {} as Record<'kling' | 'newapi' | 'klingNew' | 'evolink' | 'apimart' | 'novita' | 'openai', string>;
  let klingExternal: string;
  let videoUrl: URL;

  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    a = (await server.createKey('a')).key;
    b = (await server.createKey('b')).key;
    const create = async (route: string, json: Json, key = a) => {
      const res = await server.api(route, { method: 'POST', key, json });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as Json;
    };
    // The OpenAI video and the Kling task render first (one at a time): content and media need a finished video.
    ids.openai = (await create('/v1/videos', { prompt: 'isolation', seconds: '3', size: '720x720' })).id as string;
    klingExternal = `iso-${Date.now()}`;
    ids.kling = ((await create('/v1/videos/text2video', { prompt: 'isolation', duration: '3', external_task_id: klingExternal })).data as Json).task_id as string;
    ids.newapi = (await create('/kling/v1/videos/text2video', { prompt: 'isolation', duration: '3' })).task_id as string;
    ids.klingNew = ((await create('/text-to-video/kling-3.0', { prompt: 'isolation', settings: { duration: 3 } })).data as Json).id as string;
    ids.evolink = (await create('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'isolation', duration: 3 })).id as string;
    ids.apimart = (((await create('/v1/videos/generations', { model: 'kling-v3', prompt: 'isolation', duration: 3 })).data as Json[])[0] as Json).task_id as string;
    ids.novita = (await create('/v3/async/kling-v3.0-std-t2v', { prompt: 'isolation', duration: 3 })).task_id as string;
    const done = await waitForKlingTask(server, `/v1/videos/text2video/${ids.kling}`, a);
    expect(done.task_status).toBe('succeed');
    videoUrl = new URL(((done.task_result as { videos: Array<{ url: string }> }).videos[0] as { url: string }).url);
    // Nothing else needs rendering; the rest stay queued (cancelable).
    await server.worker.stop();
  }, 120_000);
  afterAll(async () => server?.stop());

  const get = async (path: string, key: string, init: RequestInit = {}) => {
    const res = await server.api(path, { ...init, key });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body, type: res.headers.get('content-type') ?? '' };
  };

  async function expect404(path: string, envelope: (status: number, body: unknown) => Problem, init: RequestInit = {}) {
    const got = await get(path, b, init);
    expect(got.status, `${init.method ?? 'GET'} ${path} with the other key: ${JSON.stringify(got.body)}`).toBe(404);
    expect(envelope(404, got.body), `${path}: ${JSON.stringify(got.body)}`).toBeNull();
  }

  async function expectOwnerSees(path: string, init: RequestInit = {}) {
    const got = await get(path, a, init);
    expect(got.status, `${init.method ?? 'GET'} ${path} with the owner's key: ${JSON.stringify(got.body)}`).toBe(200);
  }

  it('Kling legacy and /kling/v1 task reads: by id and by external_task_id', async () => {
    for (const [prefix, id] of [['/v1', ids.kling], ['/kling/v1', ids.newapi]] as const) {
      await expectOwnerSees(`${prefix}/videos/text2video/${id}`);
      await expect404(`${prefix}/videos/text2video/${id}`, klingErrorProblem);
      await expect404(`${prefix}/videos/image2video/${id}`, klingErrorProblem);
    }
    await expectOwnerSees(`/v1/videos/text2video/${klingExternal}`);
    await expect404(`/v1/videos/text2video/${klingExternal}`, klingErrorProblem);
    // Another dialect's ids through these routes, with the other key.
    for (const id of Object.values(ids)) await expect404(`/v1/videos/text2video/${encodeURIComponent(id)}`, klingErrorProblem);
  });

  it('Kling legacy lists, the new design batch read and window list: never the other key\'s tasks', async () => {
    for (const prefix of ['/v1', '/kling/v1']) {
      for (const kind of ['text2video', 'image2video']) {
        const mine = await get(`${prefix}/videos/${kind}?pageSize=500`, a);
        const theirs = await get(`${prefix}/videos/${kind}?pageSize=500`, b);
        expect(theirs.status).toBe(200);
        expect((theirs.body as { data: unknown[] }).data).toEqual([]);
        if (kind === 'text2video') expect((mine.body as { data: unknown[] }).data.length).toBeGreaterThan(0);
      }
    }
    const batch = `/tasks?task_ids=${[ids.kling, ids.klingNew, ids.newapi].join(',')}`;
    expect(((await get(batch, a)).body as { data: unknown[] }).data.length).toBe(2);
    const other = await get(batch, b);
    expect(other.status).toBe(200);
    expect((other.body as { data: unknown[] }).data).toEqual([]);
    const external = await get(`/tasks?external_task_ids=${klingExternal}`, b);
    expect((external.body as { data: unknown[] }).data).toEqual([]);
    const window = await get('/tasks', b, { method: 'POST' });
    expect(window.status).toBe(200);
    expect((window.body as { data: { result: unknown[] } }).data.result).toEqual([]);
    expect(((await get('/tasks', a, { method: 'POST' })).body as { data: { result: unknown[] } }).data.result.length).toBe(2);
  });

  it('EvoLink and APIMart task reads', async () => {
    await expectOwnerSees(`/v1/tasks/${ids.evolink}`);
    await expectOwnerSees(`/v1/tasks/${ids.apimart}`);
    // Until the task is found there is no dialect: the unified route answers in EvoLink's words.
    await expect404(`/v1/tasks/${ids.evolink}`, evolinkErrorProblem);
    await expect404(`/v1/tasks/${ids.apimart}`, (s, body) => evolinkErrorProblem(s, body) && apimartErrorProblem(s, body));
  });

  it('Novita task-result', async () => {
    await expectOwnerSees(`/v3/async/task-result?task_id=${ids.novita}`);
    await expect404(`/v3/async/task-result?task_id=${ids.novita}`, novitaErrorProblem);
  });

  it('OpenAI: list, read, content, thumbnail and delete', async () => {
    await expectOwnerSees(`/v1/videos/${ids.openai}`);
    await expectOwnerSees(`/v1/videos/${ids.openai}/content`);
    await expect404(`/v1/videos/${ids.openai}`, openAiErrorProblem);
    await expect404(`/v1/videos/${ids.openai}/content`, openAiErrorProblem);
    await expect404(`/v1/videos/${ids.openai}/content?variant=thumbnail`, openAiErrorProblem);
    await expect404(`/v1/videos/${ids.openai}`, openAiErrorProblem, { method: 'DELETE' });
    const list = await get('/v1/videos?limit=100', b);
    expect(list.status).toBe(200);
    expect((list.body as { data: unknown[] }).data).toEqual([]);
    // `after` with another key's id is no cursor of the caller's.
    const after = await get(`/v1/videos?after=${ids.openai}`, b);
    expect(after.status).toBe(400);
    expect(openAiErrorProblem(400, after.body)).toBeNull();
    // The owner still has it: the other key's delete changed nothing.
    await expectOwnerSees(`/v1/videos/${ids.openai}`);
  });

  it('server-sent events and cancel, for every dialect\'s task', async () => {
    for (const [dialect, id] of Object.entries(ids)) {
      await expect404(`/v1/tasks/${encodeURIComponent(id)}/events`, plainErrorProblem);
      await expect404(`/v1/tasks/${encodeURIComponent(id)}/cancel`, plainErrorProblem, { method: 'POST' });
      // The other key's cancel changed nothing: the owner's task is still queued (or, for the rendered two, completed).
      const row = await server.db.kysely.selectFrom('tasks').select(['status', 'cancel_requested_at']).where('public_id', '=', id).executeTakeFirstOrThrow();
      expect(row.cancel_requested_at, dialect).toBeNull();
    }
    await expect404(`/v1/tasks/${klingExternal}/events`, plainErrorProblem);
    // The owner's events stream opens (and is closed at once).
    const own = await server.api(`/v1/tasks/${ids.evolink}/events`, { key: a });
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await own.body?.cancel();
  });

  it('media links: the real one works without a key; altered or expired ones are 403', async () => {
    const ok = await fetch(videoUrl, { method: 'HEAD' });
    expect(ok.status).toBe(200);
    const key = decodeURIComponent(videoUrl.pathname.replace(/^\/media\//, ''));
    const exp = videoUrl.searchParams.get('exp') ?? '';
    const sig = videoUrl.searchParams.get('sig') ?? '';
    const flip = (s: string) => `${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`;
    const altered = [
      `${videoUrl.pathname}?exp=${exp}&sig=${flip(sig)}`,
      `${videoUrl.pathname}?exp=${Number(exp) + 1}&sig=${sig}`,
      `${videoUrl.pathname}?exp=${exp}`,
      `${videoUrl.pathname}?sig=${sig}`,
      `${videoUrl.pathname.replace('video-1', 'video-2')}?exp=${exp}&sig=${sig}`,
      `${videoUrl.pathname.replace(/tasks\/[^/]+/, 'tasks/someone-else')}?exp=${exp}&sig=${sig}`,
      `${videoUrl.pathname}?exp=99999999999999&sig=${sig}`,
      `/media/%E0%A4%A?exp=${exp}&sig=${sig}`,
      `/media/..%2F..%2Fsecret.key?exp=${exp}&sig=${sig}`,
    ];
    for (const path of altered) {
      for (const method of ['GET', 'HEAD']) {
        const res = await fetch(`${server.url}${path}`, { method });
        expect(res.status, `${method} ${path}`).toBe(403);
        if (method === 'GET') expect(((await res.json()) as { error: { code: string } }).error.code).toBe('link_invalid');
      }
    }
    // Expired: a link signed with the server's own secret, an hour ago, for a minute.
    const signer = createLinkSigner({ secret: server.secrets.linkKey, baseUrl: () => server.url, ttlSeconds: 60 });
    const expired = signer.url(key, Date.now() - 3_600_000);
    expect(signer.verify(key, new URL(expired).searchParams.get('exp') ?? '', new URL(expired).searchParams.get('sig') ?? '')).toBe('expired');
    const res = await fetch(expired);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'link_invalid', message: expect.stringMatching(/expired/) } });
    // A fresh link signed the same way works, so the 403 above is the expiry alone.
    expect((await fetch(signer.url(key), { method: 'HEAD' })).status).toBe(200);
  });
});
