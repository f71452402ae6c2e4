import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { README_EXAMPLE } from '../support/kling-examples.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventsOf, readToEnd, sseItems } from '../support/sse.ts';
import { EVOLINK_SPEC_EXAMPLE } from '../support/unified-examples.ts';

type Json = Record<string, unknown>;
const ORDER = ['queued', 'running', 'completed'];
/** Signed links differ between two renders of the same task (their expiry moves on): compare them without it. */
const unsigned = (body: unknown) => JSON.parse(JSON.stringify(body).replace(/\?exp=\d+&sig=[\w-]+/g, '')) as Json;
const withoutRequestId = ({ request_id: _, ...rest }: Json) => rest;

async function keysOf(server: TestServer) {
  return { key: (await server.createKey('a')).key, other: (await server.createKey('b')).key };
}

describe('server-sent events of a task that renders', () => {
  let server: TestServer;
  let key: string;
  let other: string;
  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 }, events: { keepAliveMilliseconds: 300, pollMilliseconds: 2000 } } });
    ({ key, other } = await keysOf(server));
  });
  afterAll(async () => server?.stop());

  const events = (id: string, k = key) => server.api(`/v1/tasks/${encodeURIComponent(id)}/events`, { key: k });

  /** Statuses never go back, progress never drops, ids are distinct, and the stream ends completed. */
  function expectOneWayToCompleted(items: ReturnType<typeof eventsOf>, progressOf: (data: Json) => number) {
    const names = items.map((e) => e.event);
    expect(names.at(-1)).toBe('completed');
    expect(names.every((n, i) => i === 0 || ORDER.indexOf(n) >= ORDER.indexOf(names[i - 1] as string))).toBe(true);
    expect(new Set(items.map((e) => e.id)).size).toBe(items.length);
    const progress = items.map((e) => progressOf(JSON.parse(e.data) as Json));
    expect(progress.every((p, i) => i === 0 || p >= (progress[i - 1] as number))).toBe(true);
    // Progress events: the render reports its way from 0 to 100.
    expect(items.filter((e) => e.event === 'running').length).toBeGreaterThanOrEqual(2);
  }

  it('streams a Kling task through running and its progress to completed, each as its GET shows it, then closes', async () => {
    const created = (await (await server.api('/v1/videos/text2video', { method: 'POST', key, json: { ...README_EXAMPLE, duration: '10', external_task_id: 'sse-kling-1' } })).json()) as { data: { task_id: string } };
    const id = created.data.task_id;
    const res = await events(id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const items = eventsOf(await readToEnd(res));
    expect(['queued', 'running']).toContain(items[0]?.event);
    expectOneWayToCompleted(items, (d) => (d.data as { reelay: { progress: number } }).reelay.progress);
    const words: Record<string, string> = { queued: 'submitted', running: 'processing', completed: 'succeed' };
    for (const e of items) expect((JSON.parse(e.data) as { data: { task_status: string } }).data.task_status).toBe(words[e.event]);
    const last = JSON.parse(items.at(-1)?.data ?? '{}') as Json;
    const got = (await (await server.api(`/v1/videos/text2video/${id}`, { key })).json()) as Json;
    expect(unsigned(withoutRequestId(last))).toEqual(unsigned(withoutRequestId(got)));
    expect((last.data as { task_result: { videos: unknown[] } }).task_result.videos).toHaveLength(1);
  });

  it('streams an EvoLink task in EvoLink words, ending with the body of GET /v1/tasks/{id}', async () => {
    const created = (await (await server.api('/v1/videos/generations', { method: 'POST', key, json: { ...EVOLINK_SPEC_EXAMPLE, duration: 10 } })).json()) as { id: string };
    const items = eventsOf(await readToEnd(await events(created.id)));
    expectOneWayToCompleted(items, (d) => d.progress as number);
    const words: Record<string, string> = { queued: 'pending', running: 'processing', completed: 'completed' };
    for (const e of items) expect((JSON.parse(e.data) as { status: string }).status).toBe(words[e.event]);
    const got = (await (await server.api(`/v1/tasks/${created.id}`, { key })).json()) as Json;
    expect(unsigned(JSON.parse(items.at(-1)?.data ?? '{}'))).toEqual(unsigned(got));
    expect(got).toMatchObject({ status: 'completed', task_info: { can_cancel: false } });
  });

  it('sends a finished task once and closes, found by the Kling external_task_id too', async () => {
    const items = await readToEnd(await events('sse-kling-1'), 10_000);
    const only = eventsOf(items);
    expect(only.map((e) => e.event)).toEqual(['completed']);
    expect(JSON.parse(only[0]?.data ?? '{}')).toMatchObject({ code: 0, data: { task_status: 'succeed', task_info: { external_task_id: 'sse-kling-1' } } });
  });

  it("answers another key's task and an unknown id with a plain JSON 404", async () => {
    const created = (await (await server.api('/v1/videos/generations', { method: 'POST', key, json: EVOLINK_SPEC_EXAMPLE })).json()) as { id: string };
    for (const res of [await events(created.id, other), await events('task-unified-0000000000-nosuchid')]) {
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: { code: 'task_not_found', message: expect.stringMatching(/does not exist/), request_id: expect.any(String) } });
    }
    expect((await events(created.id, '')).status).toBe(401);
  });
});

describe('server-sent events of a task no worker touches', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ configFile: { events: { keepAliveMilliseconds: 100, pollMilliseconds: 200 } } });
    await server.worker.stop();
    ({ key } = await keysOf(server));
  });
  afterAll(async () => server?.stop());

  const createKling = async () =>
    ((await (await server.api('/v1/videos/text2video', { method: 'POST', key, json: README_EXAMPLE })).json()) as { data: { task_id: string } }).data.task_id;

  it('keeps a quiet stream alive with comments, and ends it with the canceled event when the task is canceled', async () => {
    const id = await createKling();
    const res = await server.api(`/v1/tasks/${id}/events`, { key });
    const seen: string[] = [];
    let canceledAt = 0;
    for await (const item of sseItems(res)) {
      seen.push(item.kind === 'comment' ? `:${item.text}` : item.event);
      if (seen.filter((s) => s === ':keep-alive').length === 3 && canceledAt === 0) {
        canceledAt = Date.now();
        expect((await server.api(`/v1/tasks/${id}/cancel`, { method: 'POST', key })).status).toBe(200);
      }
    }
    expect(seen[0]).toBe('queued');
    expect(seen.filter((s) => !s.startsWith(':'))).toEqual(['queued', 'canceled']);
    expect(seen.at(-1)).toBe('canceled');
  });

  it('sees a change nobody notified (another process) by its slow poll', async () => {
    const id = await createKling();
    const res = await server.api(`/v1/tasks/${id}/events`, { key });
    const reading = readToEnd(res, 10_000);
    const change = (set: { status: string; progress: number }) =>
      server.db.kysely.updateTable('tasks').set({ ...set, updated_at: Date.now() }).where('public_id', '=', id).execute();
    await new Promise((r) => setTimeout(r, 300));
    await change({ status: 'running', progress: 42 });
    await new Promise((r) => setTimeout(r, 500));
    await server.db.kysely.updateTable('tasks').set({ status: 'failed', error_code: 'render_failed', error_message: 'boom', due_at: null, finished_at: Date.now() }).where('public_id', '=', id).execute();
    const items = eventsOf(await reading);
    expect(items.map((e) => e.event)).toEqual(['queued', 'running', 'failed']);
    expect(JSON.parse(items[1]?.data ?? '{}')).toMatchObject({ data: { task_status: 'processing', reelay: { progress: 42 } } });
    expect(JSON.parse(items[2]?.data ?? '{}')).toMatchObject({ data: { task_status: 'failed', task_status_msg: 'boom' } });
  });

  it('ends open streams when the server closes', async () => {
    const local = await startTestServer();
    await local.worker.stop();
    const k = (await local.createKey('a')).key;
    const id = ((await (await local.api('/v1/videos/text2video', { method: 'POST', key: k, json: README_EXAMPLE })).json()) as { data: { task_id: string } }).data.task_id;
    const reading = readToEnd(await local.api(`/v1/tasks/${id}/events`, { key: k }), 5000);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await local.stop();
    expect(eventsOf(await reading).map((e) => e.event)).toEqual(['queued']);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
