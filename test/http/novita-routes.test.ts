import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routeTestServer, type TestServer } from '../support/server.ts';

type NovitaError = { code: number; reason: string; message: string; metadata: Record<string, unknown> };
type TaskResult = {
  extra: Record<string, unknown>;
  task: { task_id: string; task_type: string; status: string; reason: string; eta: number; progress_percent: number };
  videos: Array<{ video_url: string; video_url_ttl: string; video_type: string }>;
  images: unknown[];
  audios: unknown[];
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PRO = '/v3/async/kling-v3.0-pro-t2v';
const STD = '/v3/async/kling-v3.0-std-t2v';
/** Seed 003's body, its placeholders filled in. */
const SEED_BODY = { sound: true, prompt: 'A lighthouse on a cliff at dusk', duration: 3, cfg_scale: 0.5, aspect_ratio: '16:9', negative_prompt: 'blur' };

describe('Novita async routes', () => {
  let server: TestServer;
  let key: string;
  let other: string;

  routeTestServer((suite) => ({ server, key, other } = suite));

  /** A request with the key sent bare, as the Novita SDK does (or as given in `authorization`). */
  const call = (pathname: string, init: RequestInit & { authorization?: string; json?: unknown } = {}) => {
    const { authorization = key, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (authorization) headers.set('authorization', authorization);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${server.url}${pathname}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  };
  const create = (body: unknown, path = PRO, authorization = key) => call(path, { method: 'POST', json: body, authorization });
  const expectError = async (res: Response, status: number, reason: string, message?: RegExp) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as NovitaError;
    expect(body).toEqual({ code: status, reason, message: expect.any(String), metadata: {} });
    if (message) expect(body.message).toMatch(message);
  };

  it('answers a create with exactly {"task_id":"<uuid>"} and HTTP 200, with the key bare or as Bearer', async () => {
    for (const authorization of [key, `Bearer ${key}`]) {
      const res = await create(SEED_BODY, PRO, authorization);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['task_id']);
      expect(body.task_id).toMatch(UUID);
    }
  });

  it('answers the task result in the spec shape, field by field, for the task owner', async () => {
    const { task_id } = (await (await create(SEED_BODY, STD)).json()) as { task_id: string };
    // GET tolerates a JSON content type with no body.
    const res = await call(`/v3/async/task-result?task_id=${task_id}`, { headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as TaskResult;
    // Novita's four blocks, and Reelay's documented usage extension.
    expect(Object.keys(body).sort()).toEqual(['audios', 'extra', 'images', 'reelay_usage', 'task', 'videos']);
    expect(body.task.task_id).toBe(task_id);
    expect(body.task.task_type).toBe('kling-v3.0-std-t2v');
    expect(['TASK_STATUS_QUEUED', 'TASK_STATUS_PROCESSING', 'TASK_STATUS_SUCCEED']).toContain(body.task.status);
    expect(body.task.reason).toBe('');
    expect(Number.isInteger(body.task.eta)).toBe(true);
    expect(Number.isInteger(body.task.progress_percent)).toBe(true);
    expect(body.images).toEqual([]);
    expect(body.audios).toEqual([]);
    expect(body.extra).toMatchObject({ seed: '', debug_info: { submit_time_ms: expect.stringMatching(/^\d{13}$/) } });
    if (body.task.status !== 'TASK_STATUS_SUCCEED') expect(body.videos).toEqual([]);

    await expectError(await call(`/v3/async/task-result?task_id=${task_id}`, { authorization: other }), 404, 'NOT_FOUND');
  });

  it('does not show a task of another dialect', async () => {
    const kling = await server.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: 'x', duration: '3' } });
    const id = ((await kling.json()) as { data: { task_id: string } }).data.task_id;
    await expectError(await call(`/v3/async/task-result?task_id=${id}`), 404, 'NOT_FOUND', new RegExp(id));
  });

  it('answers each documented error in the Novita envelope with the matching status', async () => {
    await expectError(await create(SEED_BODY, PRO, ''), 401, 'UNAUTHORIZED');
    await expectError(await create(SEED_BODY, PRO, 'sk_not_a_key'), 401, 'UNAUTHORIZED');
    await expectError(await create(SEED_BODY, PRO, 'Bearer sk_not_a_key'), 401, 'UNAUTHORIZED');
    await expectError(await create({ ...SEED_BODY, duration: 16 }), 400, 'INVALID_REQUEST_BODY', /^duration must be an integer between 3 and 15$/);
    await expectError(await create({ ...SEED_BODY, sound: 'on' }), 400, 'INVALID_REQUEST_BODY', /^sound must be a boolean$/);
    await expectError(await create([SEED_BODY]), 400, 'INVALID_REQUEST_BODY', /JSON object/);
    await expectError(await call(PRO, { method: 'POST', body: '{"prompt": ', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_REQUEST_BODY', /valid JSON/);
    await expectError(await create({ ...SEED_BODY, padding: 'x'.repeat(1024 * 1024 + 10) }), 400, 'INVALID_REQUEST_BODY', /1 MiB/);
    await expectError(await call('/v3/async/task-result'), 400, 'INVALID_REQUEST_BODY', /^task_id is required/);
    await expectError(await call('/v3/async/task-result?task_id=830d9c90-d53f-4c5a-8009-000000000000'), 404, 'NOT_FOUND');
    await expectError(await call('/v3/async/task-result?task_id=%00'), 404, 'NOT_FOUND');
    await expectError(await call('/v3/async/kling-v3.0-4k-t2v', { method: 'POST', json: SEED_BODY }), 404, 'NOT_FOUND', /kling-v3\.0-pro-t2v/);
    await expectError(await call(PRO), 404, 'NOT_FOUND');
  });

  it('never answers a 5xx, and every answer is exactly 200 {task_id} or a Novita error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              prompt: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant('\u0000')),
              negative_prompt: fc.oneof(fc.string(), fc.constant(null)),
              sound: fc.oneof(fc.boolean(), fc.string()),
              duration: fc.oneof(fc.integer({ min: -5, max: 30 }), fc.double(), fc.string()),
              cfg_scale: fc.oneof(fc.double(), fc.string()),
              aspect_ratio: fc.oneof(fc.constantFrom('16:9', '9:16', '1:1'), fc.string()),
              multi_prompt: fc.oneof(
                fc.array(fc.record({ prompt: fc.oneof(fc.string(), fc.integer()), duration: fc.oneof(fc.integer({ min: -1, max: 8 }), fc.string()), index: fc.integer() }, { requiredKeys: [] }), { maxLength: 7 }),
                fc.jsonValue(),
              ),
            },
            { requiredKeys: [] },
          ),
        ),
        fc.constantFrom(PRO, STD),
        async (body, path) => {
          const res = await create(body, path);
          expect(res.status).toBeLessThan(500);
          const json = (await res.json()) as Record<string, unknown>;
          if (res.status === 200) {
            expect(Object.keys(json)).toEqual(['task_id']);
            expect(json.task_id).toMatch(UUID);
          } else {
            expect(json).toEqual({ code: res.status, reason: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String), metadata: {} });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
