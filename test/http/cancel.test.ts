import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { README_EXAMPLE } from '../support/kling-examples.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventsOf, readToEnd } from '../support/sse.ts';
import { APIMART_CASE_1, EVOLINK_SPEC_EXAMPLE } from '../support/unified-examples.ts';

type Json = Record<string, unknown>;
const withoutRequestId = ({ request_id: _, ...rest }: Json) => rest;

/** How each dialect creates a task, reads it back on its own route, and words a canceled one. */
type Dialect = { name: string; create(s: TestServer, key: string): Promise<string>; get: (id: string) => string; canceled: Json };

const post = async (s: TestServer, key: string, route: string, json: unknown) => (await (await s.api(route, { method: 'POST', key, json })).json()) as Json;
const data = (body: Json) => body.data as Json;

const DIALECTS: Dialect[] = [
  {
    name: 'Kling (official)',
    create: async (s, key) => data(await post(s, key, '/v1/videos/text2video', README_EXAMPLE)).task_id as string,
    get: (id) => `/v1/videos/text2video/${id}`,
    // Kling has no canceled word (spec §6.1): failed, with a message saying it was canceled.
    canceled: { code: 0, data: { task_status: 'failed', task_status_msg: 'the task was canceled' } },
  },
  {
    name: 'new-api passthrough',
    create: async (s, key) => (await post(s, key, '/kling/v1/videos/text2video', README_EXAMPLE)).task_id as string,
    get: (id) => `/kling/v1/videos/text2video/${id}`,
    canceled: { code: 0, data: { task_status: 'failed', task_status_msg: 'the task was canceled' } },
  },
  {
    name: 'Kling new design',
    create: async (s, key) => data(await post(s, key, '/text-to-video/kling-3.0', { prompt: 'A quiet harbour at dawn' })).id as string,
    get: (id) => `/tasks?task_ids=${id}`,
    canceled: { code: 0, data: { status: 'failed', message: 'the task was canceled' } },
  },
  {
    name: 'EvoLink',
    create: async (s, key) => (await post(s, key, '/v1/videos/generations', EVOLINK_SPEC_EXAMPLE)).id as string,
    get: (id) => `/v1/tasks/${id}`,
    canceled: { status: 'cancelled', task_info: { can_cancel: false }, error: { code: 'request_cancelled' } },
  },
  {
    name: 'APIMart',
    create: async (s, key) => ((await post(s, key, '/v1/videos/generations', APIMART_CASE_1)).data as Array<{ task_id: string }>)[0]?.task_id as string,
    get: (id) => `/v1/tasks/${id}`,
    canceled: { code: 200, data: { status: 'cancelled' } },
  },
  {
    name: 'Novita',
    create: async (s, key) => (await post(s, key, '/v3/async/kling-v3.0-std-t2v', { prompt: 'A lighthouse on a cliff at dusk', duration: 3 })).task_id as string,
    get: (id) => `/v3/async/task-result?task_id=${id}`,
    canceled: { task: { status: 'TASK_STATUS_CANCELED', reason: 'the task was canceled' }, videos: [] },
  },
  {
    name: 'OpenAI videos',
    create: async (s, key) => (await post(s, key, '/v1/videos', { model: 'kling-v3', prompt: 'A calico cat playing a piano', seconds: '4', size: '1280x720' })).id as string,
    get: (id) => `/v1/videos/${id}`,
    // OpenAI has no canceled status either: failed, with the code `canceled`.
    canceled: { status: 'failed', error: { code: 'canceled' } },
  },
];

describe('cancel of a queued task', () => {
  let server: TestServer;
  let key: string;
  let other: string;
  beforeAll(async () => {
    server = await startTestServer();
    // Nothing starts: every task stays queued until canceled.
    await server.worker.stop();
    key = (await server.createKey('a')).key;
    other = (await server.createKey('b')).key;
  });
  afterAll(async () => server?.stop());

  const cancel = (id: string, k = key) => server.api(`/v1/tasks/${encodeURIComponent(id)}/cancel`, { method: 'POST', key: k });

  it.each(DIALECTS)('cancels a $name task at once and answers it as its own GET does, in its words', async (dialect) => {
    const id = await dialect.create(server, key);
    const res = await cancel(id);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject(dialect.canceled);
    const got = (await (await server.api(dialect.get(id), { key })).json()) as Json;
    // The new design reads through the batch route: the same task object, in a list.
    const shown = dialect.name.startsWith('Kling new') ? { ...got, data: (got.data as Json[])[0] } : got;
    expect(withoutRequestId(shown)).toEqual(withoutRequestId(body));
  });

  it('answers 409 for a task that is already over, in the dialect of the task', async () => {
    const kling = await DIALECTS[0]?.create(server, key) as string;
    const evolink = await DIALECTS[3]?.create(server, key) as string;
    const novita = await DIALECTS[5]?.create(server, key) as string;
    for (const id of [kling, evolink, novita]) expect((await cancel(id)).status).toBe(200);

    const again = await cancel(kling);
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ code: 1201, message: `task ${kling} is already canceled; only a queued or running task can be canceled`, request_id: expect.any(String) });
    const evo = await cancel(evolink);
    expect(evo.status).toBe(409);
    expect(await evo.json()).toMatchObject({ error: { code: 409, type: 'invalid_request_error', param: 'task_id', message: expect.stringMatching(/already canceled/) } });
    const nov = await cancel(novita);
    expect(nov.status).toBe(409);
    expect(await nov.json()).toMatchObject({ code: 409, reason: 'TASK_ALREADY_ENDED' });
  });

  it("does not find another key's task (plain 404) and leaves it queued", async () => {
    const id = await DIALECTS[3]?.create(server, key) as string;
    for (const res of [await cancel(id, other), await cancel('task-unified-0000000000-nosuchid')]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'task_not_found', message: expect.stringMatching(/does not exist/), request_id: expect.any(String) } });
    }
    expect((await cancel(id, '')).status).toBe(401);
    expect(await (await server.api(`/v1/tasks/${id}`, { key })).json()).toMatchObject({ status: 'pending', task_info: { can_cancel: true } });
  });

  it('cancels a Kling task by its external_task_id', async () => {
    await post(server, key, '/v1/videos/text2video', { ...README_EXAMPLE, external_task_id: 'cancel-me-1' });
    const res = await cancel('cancel-me-1');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { task_status: 'failed', task_info: { external_task_id: 'cancel-me-1' } } });
  });

  it('shows EvoLink can_cancel true while the task is queued and false once it is cancelled', async () => {
    const id = await DIALECTS[3]?.create(server, key) as string;
    expect(await (await server.api(`/v1/tasks/${id}`, { key })).json()).toMatchObject({ status: 'pending', task_info: { can_cancel: true } });
    await cancel(id);
    expect(await (await server.api(`/v1/tasks/${id}`, { key })).json()).toMatchObject({ status: 'cancelled', task_info: { can_cancel: false } });
  });
});

describe('cancel of a running preview render', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    // A 5 s lease renews every 1.7 s: that is when the worker sees the request and stops the render.
    server = await startTestServer({ configFile: { worker: { concurrency: 1, leaseSeconds: 5, pollMilliseconds: 100 } } });
    key = (await server.createKey('a')).key;
  });
  afterAll(async () => server?.stop());

  const evolinkTask = async (id: string) => (await (await server.api(`/v1/tasks/${id}`, { key })).json()) as { status: string; progress: number; results?: string[]; task_info: { can_cancel: boolean } };

  it('stops the render: the task ends cancelled, with no video stored or shown', async () => {
    // The longest, largest render: far longer than the worker takes to notice the request.
    const created = await post(server, key, '/v1/videos/generations', { ...EVOLINK_SPEC_EXAMPLE, duration: 15, quality: '1080p' });
    const id = created.id as string;
    const deadline = Date.now() + 30_000;
    while ((await evolinkTask(id)).status !== 'processing') {
      if (Date.now() > deadline) throw new Error('the render did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await evolinkTask(id)).task_info.can_cancel).toBe(true);
    const stream = readToEnd(await server.api(`/v1/tasks/${id}/events`, { key }), 30_000);

    const res = await server.api(`/v1/tasks/${id}/cancel`, { method: 'POST', key });
    expect(res.status).toBe(200);
    // Still rendering until the worker notices, but no longer cancelable.
    expect(await res.json()).toMatchObject({ id, status: 'processing', task_info: { can_cancel: false } });
    // Asking again while the cancel is pending answers the task again.
    expect((await server.api(`/v1/tasks/${id}/cancel`, { method: 'POST', key })).status).toBe(200);

    const events = eventsOf(await stream);
    expect(events.at(-1)?.event).toBe('canceled');
    const ended = await evolinkTask(id);
    expect(ended).toMatchObject({ status: 'cancelled', task_info: { can_cancel: false }, error: { code: 'request_cancelled' } });
    expect(ended.results).toBeUndefined();
    expect(ended.progress).toBeLessThan(100);
    // No video was ever stored: the media folder holds none (it is made by the first one).
    const media = path.join(server.dataDir, 'media');
    const files = existsSync(media) ? readdirSync(media, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mp4')) : [];
    expect(files).toEqual([]);
  });
});
