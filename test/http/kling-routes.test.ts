import fc from 'fast-check';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { README_EXAMPLE } from '../support/kling-examples.ts';
import { expectKlingEnvelope } from '../support/kling-envelope.ts';
import { postgresUrl } from '../support/databases.ts';
import { routeTestServer, startPostgresTestServer, type TestServer } from '../support/server.ts';

type Envelope = { code: number; message: string; request_id: string; data: Record<string, unknown>; task_id?: string };

const example = README_EXAMPLE;

describe('official Kling legacy routes', () => {
  let server: TestServer;
  let key: string;
  let other: string;

  routeTestServer((suite) => ({ server, key, other } = suite));

  const create = async (body: unknown, k = key, route = '/v1/videos/text2video') => {
    const res = await server.api(route, { method: 'POST', key: k, json: body });
    return { status: res.status, body: (await res.json()) as Envelope };
  };

  it('answers a create with the official envelope: code 0, request id, 18-digit task id, submitted, ms times', async () => {
    const before = Date.now();
    const { status, body } = await create({ ...example, external_task_id: 'courtyard-1' });
    expect(status).toBe(200);
    expect(body.code).toBe(0);
    expect(body.message).toBe('SUCCEED');
    expect(body.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(body.data.task_id).toMatch(/^\d{18}$/);
    expect(body.data.task_status).toBe('submitted');
    expect(body.data.task_info).toEqual({ external_task_id: 'courtyard-1' });
    expect(typeof body.data.created_at).toBe('number');
    expect(body.data.created_at as number).toBeGreaterThanOrEqual(before);
    expect(body.data.updated_at).toBe(body.data.created_at);
    expect(body.data.task_result).toBeUndefined();
    expect(body.task_id).toBeUndefined();
  });

  it('finds a task by task id and by external_task_id, for its owner only', async () => {
    const { body } = await create({ ...example, external_task_id: 'find-me' });
    const id = body.data.task_id as string;
    for (const ref of [id, 'find-me']) {
      const res = await server.api(`/v1/videos/text2video/${ref}`, { key });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Envelope).data.task_id).toBe(id);
    }
    const foreign = await server.api(`/v1/videos/text2video/${id}`, { key: other });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ code: 1203 });
  });

  it('lists only the caller tasks with pageNum/pageSize, and checks their ranges', async () => {
    const mine = await create(example, other);
    const res = await server.api('/v1/videos/text2video?pageNum=1&pageSize=500', { key: other });
    const list = (await res.json()) as { code: number; data: Array<{ task_id: string }> };
    expect(list.code).toBe(0);
    expect(list.data.map((t) => t.task_id)).toEqual([mine.body.data.task_id]);
    for (const q of ['pageNum=0', 'pageNum=1001', 'pageSize=501', 'pageSize=abc', 'pageSize=1.5']) {
      const bad = await server.api(`/v1/videos/text2video?${q}`, { key });
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as Envelope;
      expect(body.code).toBe(1201);
      expect(body.message).toMatch(/^page(Num|Size) must be an integer between 1 and (1000|500)$/);
    }
  });

  it('refuses a reused external_task_id for the same key with 1201', async () => {
    await create({ ...example, external_task_id: 'once' });
    const { status, body } = await create({ ...example, external_task_id: 'once' });
    expect(status).toBe(400);
    expect(body.code).toBe(1201);
    expect(body.message).toMatch(/external_task_id/);
  });

  it('answers bad input with the official error table, naming the field and the rule', async () => {
    const cases: Array<[unknown, number, number, RegExp]> = [
      [{ ...example, duration: '16' }, 400, 1201, /^duration must be an integer between 3 and 15$/],
      [{ ...example, duration: 2 }, 400, 1201, /^duration must be an integer between 3 and 15$/],
      [{ ...example, mode: '8k' }, 400, 1201, /^mode /],
      [{ ...example, model_name: 'kling-v9' }, 404, 1203, /kling-v9/],
      [{ ...example, prompt: 'x'.repeat(2501) }, 400, 1201, /^prompt must be at most 2500 characters$/],
      [[1, 2, 3], 400, 1201, /JSON object/],
    ];
    for (const [body, status, code, message] of cases) {
      const r = await create(body);
      expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
      expect(r.body.message).toMatch(message);
      expect(r.body.request_id).toBeTruthy();
    }
  });

  it('answers malformed JSON and a body over 1 MiB with 1200/400', async () => {
    const bad = await fetch(`${server.url}/v1/videos/text2video`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"prompt": ',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Envelope).code).toBe(1200);
    const huge = await create({ ...example, padding: 'x'.repeat(1024 * 1024 + 10) });
    expect(huge.status).toBe(400);
    expect(huge.body.code).toBe(1200);
  });

  it('answers a chunked body over 1 MiB (no Content-Length) with 1200/400 without reading it all', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    // Its own connection pool: the server closes this connection mid-upload, which must not
    // disturb the shared pool the other tests use.
    const dispatcher = new Agent();
    const res = await undiciFetch(`${server.url}/v1/videos/text2video`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
      dispatcher,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Envelope).code).toBe(1200);
    await dispatcher.destroy();
  });

  it('answers an unknown task with 1203/404 and an unknown route with 1202/404', async () => {
    const t = await server.api('/v1/videos/text2video/999999999999999999', { key });
    expect(t.status).toBe(404);
    expect(await t.json()).toMatchObject({ code: 1203 });
    const r = await server.api('/v1/no-such-thing', { key });
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ code: 1202 });
  });

  it('serves the new-api passthrough under /kling/v1 with task_ + 32 ids in both task_id fields', async () => {
    const { status, body } = await create(example, key, '/kling/v1/videos/text2video');
    expect(status).toBe(200);
    expect(body.data.task_id).toMatch(/^task_[0-9A-Za-z]{32}$/);
    expect(body.task_id).toBe(body.data.task_id);
    const got = (await (await server.api(`/kling/v1/videos/text2video/${body.task_id}`, { key })).json()) as Envelope;
    expect(got.task_id).toBe(body.task_id);
    expect(got.data.task_id).toBe(body.task_id);
  });

  it('never answers 5xx and always answers in the Kling envelope, whatever the body (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              model_name: fc.oneof(fc.constant('kling-v3'), fc.string()),
              prompt: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer(), fc.constant(null)),
              duration: fc.oneof(fc.integer({ min: -5, max: 30 }).map(String), fc.integer(), fc.double(), fc.string()),
              mode: fc.oneof(fc.constantFrom('std', 'pro', '4k'), fc.string()),
              sound: fc.oneof(fc.constantFrom('on', 'off'), fc.boolean()),
              multi_shot: fc.oneof(fc.boolean(), fc.string()),
              shot_type: fc.constantFrom('customize', 'intelligence', 'x'),
              multi_prompt: fc.array(fc.record({ index: fc.integer(), prompt: fc.string(), duration: fc.oneof(fc.string(), fc.integer()) }), { maxLength: 8 }),
              external_task_id: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer()),
            },
            { requiredKeys: [] },
          ),
        ),
        async (body) => {
          await expectKlingEnvelope(await server.api('/v1/videos/text2video', { method: 'POST', key, json: body }));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe.runIf(postgresUrl)('official Kling routes on PostgreSQL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startPostgresTestServer(postgresUrl as string);
  });
  afterAll(async () => server.stop());

  it('answers NUL characters in ids and fields with a 4xx, never a 500', async () => {
    const create = await server.api('/v1/videos/text2video', { method: 'POST', json: { ...example, external_task_id: 'a\u0000b', prompt: 'x\u0000y' } });
    expect(create.status).toBe(400);
    expect(await create.json()).toMatchObject({ code: 1201, message: 'external_task_id must not contain control characters' });
    const prompt = await server.api('/v1/videos/text2video', { method: 'POST', json: { ...example, prompt: 'x\u0000y' } });
    expect(prompt.status).toBe(200);
    const get = await server.api('/v1/videos/text2video/a%00b');
    expect(get.status).toBe(404);
  });
});
