import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/databases.ts';
import { README_EXAMPLE, SEED_002_SHOTS } from '../support/kling-examples.ts';
import { routeTestServer, startPostgresTestServer, type CreatedKey, type TestServer } from '../support/server.ts';

type Envelope<T = Record<string, unknown>> = { code: number; message: string; request_id: string; data: T };
type TaskObject = Record<string, unknown> & { id: string; status: string; external_id: string };
type Listing = { result: TaskObject[]; count: number; next_cursor: string; has_more: boolean };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const T2V = '/text-to-video/kling-3.0';
const TURBO = '/text-to-video/kling-3.0-turbo';
const I2V = '/image-to-video/kling-3.0';
const FRAME = 'https://example.com/first.png';
/** Every documented field of §1.11, the shot syntax of seed 002 in the prompt. */
const FULL_BODY = {
  prompt: SEED_002_SHOTS,
  settings: { multi_shot: true, audio: 'native', resolution: '1080p', aspect_ratio: '9:16', duration: 5 },
  options: { callback_url: 'https://example.com/hook', external_task_id: 'window-1', watermark_info: { enabled: true } },
};

describe('official Kling new design routes', () => {
  let server: TestServer;
  let key: string;
  let other: CreatedKey;

  // These tests read tasks, never wait for videos: no renders crowd the CPU.
  routeTestServer((suite) => ({ server, key, otherKey: other } = suite), { stopWorker: true });

  const call = async <T = Record<string, unknown>>(path: string, init: RequestInit & { json?: unknown; key?: string } = {}) => {
    const res = await server.api(path, { ...init, key: init.key ?? key });
    return { status: res.status, body: (await res.json()) as Envelope<T> };
  };
  const create = (path: string, json: unknown, k = key) => call<TaskObject>(path, { method: 'POST', json, key: k });
  const getTasks = (query: string, k = key) => call<TaskObject[]>(`/tasks?${query}`, { key: k });
  const list = (json: unknown, k = key) => call<Listing>('/tasks', { method: 'POST', json, key: k });

  it('answers a create with the documented object: code 0, 18-digit id, submitted, ms times, external_id', async () => {
    const before = Date.now();
    const { status, body } = await create(T2V, FULL_BODY);
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 0, message: 'SUCCEED' });
    expect(body.request_id).toMatch(UUID);
    expect(Object.keys(body.data).sort()).toEqual(['create_time', 'external_id', 'id', 'status', 'update_time']);
    expect(body.data.id).toMatch(/^\d{18}$/);
    expect(body.data.status).toBe('submitted');
    expect(body.data.external_id).toBe('window-1');
    expect(typeof body.data.create_time).toBe('number');
    expect(body.data.create_time as number).toBeGreaterThanOrEqual(before);
    expect(body.data.update_time).toBe(body.data.create_time);
  });

  it('serves kling-3.0-turbo and image-to-video, and names the model of the path', async () => {
    const turbo = await create(TURBO, { prompt: 'a kite over a beach', settings: { resolution: '1080p', duration: 3 } });
    expect(turbo.status).toBe(200);
    const i2v = await create(I2V, { contents: [{ type: 'prompt', text: 'the box opens' }, { type: 'first_frame', url: FRAME }] });
    expect(i2v.status).toBe(200);
    const [t, i] = (await getTasks(`task_ids=${turbo.body.data.id},${i2v.body.data.id}`)).body.data;
    expect(t).toMatchObject({ id: turbo.body.data.id, status: 'submitted', outputs: [], billing: [] });
    expect(i?.id).toBe(i2v.body.data.id);
  });

  it('answers each documented error in the official envelope, naming the field and the rule', async () => {
    const cases: Array<[string, unknown, number, number, RegExp]> = [
      [TURBO, { prompt: 'x', settings: { resolution: '4k' } }, 400, 1201, /^settings\.resolution 4k is not available for kling-v3-turbo/],
      [T2V, { prompt: 'x', settings: { duration: '5' } }, 400, 1201, /^settings\.duration must be an integer \(a JSON number, not a string\)$/],
      [T2V, { prompt: 'x', settings: { duration: 16 } }, 400, 1201, /^settings\.duration must be an integer between 3 and 15$/],
      [T2V, { prompt: '镜头 1, 3, a; 镜头 2, 3, b;' }, 400, 1201, /^prompt \(镜头 shots\) durations must add up to the total duration \(5\), not 6$/],
      [T2V, { settings: { audio: 'loud' }, prompt: 'x' }, 400, 1201, /^settings\.audio must be one of: native, off$/],
      [I2V, { prompt: 'x' }, 400, 1201, /^contents\[type=first_frame\] is required/],
      [I2V, { prompt: 'x', contents: [{ type: 'first_frame', url: 'file:///etc/passwd' }] }, 400, 1201, /^contents\[0\]\.url must be an absolute http\(s\) URL$/],
      ['/text-to-video/kling-2.6', { prompt: 'x' }, 404, 1203, /^model 'kling-2.6' is not available for text-to-video; available models: kling-3.0, kling-3.0-turbo$/],
      ['/image-to-video/kling-3.0-turbo', { prompt: 'x' }, 404, 1203, /available models: kling-3.0$/],
      [T2V, [1, 2], 400, 1201, /^request body must be a JSON object$/],
    ];
    for (const [path, json, status, code, message] of cases) {
      const r = await create(path, json);
      expect({ path, status: r.status, code: r.body.code }).toEqual({ path, status, code });
      expect(r.body.message).toMatch(message);
      expect(r.body.request_id).toMatch(UUID);
    }
    await create(T2V, { prompt: 'x', options: { external_task_id: 'twice' } });
    const dup = await create(T2V, { prompt: 'x', options: { external_task_id: 'twice' } });
    expect({ status: dup.status, code: dup.body.code }).toEqual({ status: 400, code: 1201 });
    expect(dup.body.message).toMatch(/external_task_id/);
  });

  it('answers malformed JSON and a body over 1 MiB with 1200/400, unknown paths and methods with 1202/404', async () => {
    const bad = await server.api(T2V, { method: 'POST', key, headers: { 'content-type': 'application/json' }, body: '{"prompt": ' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 1200 });
    const huge = await create(T2V, { prompt: 'x', padding: 'x'.repeat(1024 * 1024 + 10) });
    expect({ status: huge.status, code: huge.body.code }).toEqual({ status: 400, code: 1200 });
    for (const [method, path] of [['GET', T2V], ['DELETE', '/tasks'], ['GET', '/tasks/123'], ['POST', '/text-to-video']]) {
      const r = await call(path as string, { method: method as string });
      expect({ path, status: r.status, code: r.body.code }).toEqual({ path, status: 404, code: 1202 });
    }
  });

  it('authenticates with the API key or an AK/SK JWT, with the official 1001/1002 codes', async () => {
    const none = await call(T2V, { method: 'POST', json: { prompt: 'x' }, key: '' });
    expect({ status: none.status, code: none.body.code }).toEqual({ status: 401, code: 1001 });
    const wrong = await getTasks('task_ids=1', 'rl_not-a-key');
    expect({ status: wrong.status, code: wrong.body.code }).toEqual({ status: 401, code: 1002 });
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ iss: other.access_key, exp: now + 1800, nbf: now - 5 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(other.secret_key));
    const viaJwt = await create(T2V, { prompt: 'signed' }, jwt);
    expect(viaJwt.status).toBe(200);
    expect((await getTasks(`task_ids=${viaJwt.body.data.id}`, other.key)).body.data).toHaveLength(1);
  });

  it('reads a batch by task_ids or external_task_ids: only the caller tasks, in the order asked', async () => {
    const a = (await create(T2V, { prompt: 'a', options: { external_task_id: 'batch-a' } })).body.data;
    const b = (await create(T2V, { prompt: 'b', options: { external_task_id: 'batch-b' } })).body.data;
    const foreign = (await create(T2V, { prompt: 'c', options: { external_task_id: 'batch-a' } }, other.key)).body.data;
    // GET routes tolerate a JSON content type with no body.
    const byId = await getTasks(`task_ids=${b.id},999999999999999999,${foreign.id},${a.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ code: 0, message: 'SUCCEED' });
    expect(byId.body.data.map((t) => t.id)).toEqual([b.id, a.id]);
    const task = byId.body.data[1] as TaskObject;
    expect(Object.keys(task).sort()).toEqual(['billing', 'create_time', 'external_id', 'id', 'message', 'outputs', 'reelay', 'status', 'update_time']);
    expect(task).toMatchObject({ status: 'submitted', message: '', external_id: 'batch-a', outputs: [], billing: [] });
    const byExternal = await server.api('/tasks?external_task_ids=batch-a,batch-b', { key, headers: { 'content-type': 'application/json' } });
    expect(((await byExternal.json()) as Envelope<TaskObject[]>).data.map((t) => t.id)).toEqual([a.id, b.id]);
    expect((await getTasks(`task_ids=${a.id}`, other.key)).body.data).toEqual([]);
  });

  it('wants exactly one of task_ids and external_task_ids (1201 naming both)', async () => {
    for (const query of ['', 'task_ids=1&external_task_ids=x', 'task_ids=', 'foo=1']) {
      const r = await getTasks(query);
      expect({ query, status: r.status, code: r.body.code }).toEqual({ query, status: 400, code: 1201 });
      expect(r.body.message).toMatch(/task_ids/);
    }
  });

  it('reads official legacy tasks through /tasks as new-design objects, but not other dialects', async () => {
    const legacy = await server.api('/v1/videos/text2video', { method: 'POST', key, json: { ...README_EXAMPLE, external_task_id: 'legacy-1' } });
    const legacyId = ((await legacy.json()) as Envelope<{ task_id: string }>).data.task_id;
    const newApi = await server.api('/kling/v1/videos/text2video', { method: 'POST', key, json: README_EXAMPLE });
    const newApiId = ((await newApi.json()) as Envelope<{ task_id: string }>).data.task_id;
    const r = await getTasks(`task_ids=${legacyId},${newApiId}`);
    expect(r.body.data).toHaveLength(1);
    expect(r.body.data[0]).toMatchObject({ id: legacyId, status: 'submitted', external_id: 'legacy-1', outputs: [] });
  });

  it('lists a time window page by page with an opaque cursor, newest first', async () => {
    const owner = (await server.createKey('lister')).key;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(T2V, { prompt: `p${i}` }, owner)).body.data.id);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; ; page++) {
      const r = await list({ limit: 2, ...(cursor ? { cursor } : {}) }, owner);
      expect(r.status).toBe(200);
      expect(r.body.code).toBe(0);
      expect(r.body.data.count).toBe(r.body.data.result.length);
      expect(typeof r.body.data.next_cursor).toBe('string');
      seen.push(...r.body.data.result.map((t) => t.id));
      if (!r.body.data.has_more) {
        expect(r.body.data.next_cursor).toBe('');
        expect(page).toBe(2);
        break;
      }
      cursor = r.body.data.next_cursor;
    }
    expect(seen).toEqual([...ids].reverse());
    // An empty body (no JSON at all) is every default.
    const defaults = await server.api('/tasks', { method: 'POST', key: owner });
    expect(((await defaults.json()) as Envelope<Listing>).data.count).toBe(5);
    const past = await list({ start_time: '1000', end_time: '2000' }, owner);
    expect(past.body.data).toEqual({ result: [], count: 0, next_cursor: '', has_more: false });
  });

  it('filters the listing by status and product_type', async () => {
    const owner = (await server.createKey('filter')).key;
    await create(T2V, { prompt: 'x' }, owner);
    await create(I2V, { prompt: 'y', contents: [{ type: 'first_frame', url: FRAME }] }, owner);
    const count = async (filters: unknown) => (await list({ filters }, owner)).body.data.count;
    expect(await count([{ key: 'status', values: ['submitted'] }])).toBe(2);
    expect(await count([{ key: 'status', values: ['succeeded', 'failed'] }])).toBe(0);
    expect(await count([{ key: 'product_type', values: ['video'] }])).toBe(2);
    expect(await count([{ key: 'product_type', values: ['image'] }])).toBe(0);
  });

  it('refuses bad listing bodies with 1201 naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ limit: 501 }, /^limit must be an integer between 1 and 500$/],
      [{ cursor: 'garbage!' }, /^cursor is not a cursor returned by an earlier page$/],
      [{ start_time: 'yesterday' }, /^start_time must be a Unix time in milliseconds/],
      [{ filters: [{ key: 'status', values: ['succeed'] }] }, /^filters\[0\]\.values\[0\] must be one of: submitted, processing, succeeded, failed$/],
    ];
    for (const [json, message] of cases) {
      const r = await list(json);
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: 1201 });
      expect(r.body.message).toMatch(message);
    }
  });

  it('never answers 5xx and always answers in the official envelope, whatever the body (property)', async () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('镜头 1, 2, a; 镜头 2, 3, b;', '镜头 1，3，b；镜头 2，2，c；', '镜头 9, x'));
    const any = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.jsonValue());
    const settings = fc.record(
      {
        multi_shot: any(fc.boolean()),
        audio: fc.constantFrom('native', 'off', 'on'),
        resolution: fc.constantFrom('720p', '1080p', '4k', 'x'),
        aspect_ratio: fc.constantFrom('16:9', '9:16', '1:1', '2:1'),
        duration: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.double(), fc.string()),
      },
      { requiredKeys: [] },
    );
    const item = fc.record(
      { type: fc.constantFrom('prompt', 'first_frame', 'last_frame', 'element', 'x'), text, url: fc.oneof(fc.webUrl(), fc.string()), element_id: fc.oneof(fc.nat(), fc.string()) },
      { requiredKeys: ['type'] },
    );
    const filter = fc.record({ key: fc.constantFrom('status', 'product_type', 'x'), values: fc.array(fc.constantFrom('submitted', 'succeeded', 'video', 'image', 'nope')) });
    const body = any(
      fc.record(
        {
          prompt: fc.oneof(text, fc.integer(), fc.constant(null)),
          settings: any(settings),
          contents: fc.array(item, { maxLength: 5 }),
          options: fc.record({ callback_url: fc.oneof(fc.webUrl(), fc.string()), external_task_id: fc.string(), watermark_info: fc.jsonValue() }, { requiredKeys: [] }),
          start_time: fc.oneof(fc.string(), fc.integer()),
          end_time: fc.oneof(fc.string(), fc.nat()),
          cursor: fc.oneof(fc.string(), fc.base64String()),
          limit: fc.oneof(fc.integer({ min: -5, max: 600 }), fc.string()),
          filters: fc.array(filter, { maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(T2V, TURBO, I2V, '/tasks'), async (json, path) => {
        const res = await server.api(path, { method: 'POST', key, json });
        expect(res.status).toBeLessThan(500);
        const env = (await res.json()) as Envelope;
        expect(typeof env.code).toBe('number');
        expect(typeof env.message).toBe('string');
        expect(env.request_id).toMatch(UUID);
        if (res.status === 200) expect(env.code).toBe(0);
        else expect(env.code).toBeGreaterThanOrEqual(1000);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.constantFrom('task_ids', 'external_task_ids'), async (ids, name) => {
        const res = await server.api(`/tasks?${name}=${encodeURIComponent(ids)}`, { key });
        expect(res.status).toBeLessThan(500);
        expect((await res.json()) as Envelope).toMatchObject({ code: expect.any(Number), request_id: expect.stringMatching(UUID) });
      }),
      { numRuns: 100 },
    );
  });

  it('is served by the real server at /, after the other groups', async () => {
    const res = await server.api(T2V, { method: 'POST', key, json: { prompt: 'through the real app' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Envelope<TaskObject>;
    expect(body.data.id).toMatch(/^\d{18}$/);
    expect((await getTasks(`task_ids=${body.data.id}`)).body.data[0]?.status).toBe('submitted');
  });
});

describe.runIf(postgresUrl)('official Kling new design on PostgreSQL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startPostgresTestServer(postgresUrl as string);
    await server.worker.stop();
  });
  afterAll(async () => server.stop());

  it('answers NUL characters in ids, external ids and cursors with a 4xx or nothing, never a 500', async () => {
    const key = server.masterKey;
    const create = await server.api(T2V, { method: 'POST', key, json: { prompt: 'x', options: { external_task_id: 'a\u0000b' } } });
    expect(create.status).toBe(400);
    expect(await create.json()).toMatchObject({ code: 1201, message: 'options.external_task_id must not contain control characters' });
    for (const query of ['task_ids=a%00b', 'external_task_ids=a%00b']) {
      const res = await server.api(`/tasks?${query}`, { key });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ code: 0, data: [] });
    }
    const cursor = Buffer.from('12:a\u0000').toString('base64url');
    const listed = await server.api('/tasks', { method: 'POST', key, json: { cursor } });
    expect(listed.status).toBe(400);
  });
});
