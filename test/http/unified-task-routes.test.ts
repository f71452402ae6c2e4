import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { README_EXAMPLE } from '../support/kling-examples.ts';
import { routeTestServer, type TestServer } from '../support/server.ts';
import { APIMART_CASE_1, EVOLINK_SEED_002, EVOLINK_SPEC_EXAMPLE } from '../support/unified-examples.ts';

type Json = Record<string, unknown>;
type EvolinkError = { error: { code: number; message: string; type: string; param?: string } };
type ApimartError = { code: number; error: { message: string; type: string; param?: string } };

const EVOLINK_ID = /^task-unified-(\d{10})-[0-9a-z]{8}$/;
const APIMART_ID = /^task_[0-9A-HJKMNP-TV-Z]{26}$/;
const EVOLINK_TYPES = ['invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error', 'internal_server_error'];

function expectEvolinkError(body: unknown, status: number): asserts body is EvolinkError {
  const e = body as EvolinkError;
  expect(Object.keys(e)).toEqual(['error']);
  expect(e.error.code).toBe(status);
  expect(typeof e.error.message).toBe('string');
  expect(EVOLINK_TYPES).toContain(e.error.type);
}

function expectApimartError(body: unknown, status: number): asserts body is ApimartError {
  const e = body as ApimartError;
  expect(Object.keys(e).sort()).toEqual(['code', 'error']);
  expect(e.code).toBe(status);
  expect(typeof e.error.message).toBe('string');
  expect(EVOLINK_TYPES).toContain(e.error.type);
}

describe('unified task routes (EvoLink and APIMart)', () => {
  let server: TestServer;
  let key: string;
  let other: string;

  routeTestServer((suite) => ({ server, key, other } = suite));

  const create = async (body: unknown, k = key) => {
    const res = await server.api('/v1/videos/generations', { method: 'POST', key: k, json: body });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const query = async (id: string, k = key, init: RequestInit = {}) => {
    const res = await server.api(`/v1/tasks/${encodeURIComponent(id)}`, { ...init, key: k });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('answers an EvoLink create with the video.generation.task object of spec §2.1', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, body } = await create(EVOLINK_SPEC_EXAMPLE);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['created', 'id', 'model', 'object', 'progress', 'status', 'task_info', 'type', 'usage']);
    expect(body.id).toMatch(EVOLINK_ID);
    expect(typeof body.created).toBe('number');
    expect(body.created as number).toBeGreaterThanOrEqual(before);
    expect(Number(EVOLINK_ID.exec(body.id as string)?.[1])).toBe(body.created);
    expect(body).toMatchObject({ model: 'kling-v3-text-to-video', object: 'video.generation.task', progress: 0, status: 'pending', type: 'video' });
    const info = body.task_info as Json;
    expect(info).toEqual({ can_cancel: true, estimated_time: expect.any(Number), video_duration: 5 });
    expect(body.usage).toEqual({ billing_rule: 'per_second', credits_reserved: 3, user_group: 'default' });
  });

  it('answers the turbo model of seed 002 with its own model name', async () => {
    const { status, body } = await create(EVOLINK_SEED_002);
    expect(status).toBe(200);
    expect(body.model).toBe('kling-v3-turbo-text-to-video');
    expect((await query(body.id as string)).body.model).toBe('kling-v3-turbo-text-to-video');
  });

  it('answers an APIMart create as spec §5.1 and its query as §5.2', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, body } = await create(APIMART_CASE_1);
    expect(status).toBe(200);
    expect(body).toEqual({ code: 200, data: [{ status: 'submitted', task_id: expect.stringMatching(APIMART_ID) }] });
    const id = (body.data as Array<{ task_id: string }>)[0]?.task_id as string;
    const got = await query(id);
    expect(got.status).toBe(200);
    expect(got.body.code).toBe(200);
    const data = got.body.data as Json;
    expect(data.id).toBe(id);
    expect(['pending', 'processing', 'completed']).toContain(data.status);
    expect(typeof data.progress).toBe('number');
    expect(typeof data.created).toBe('number');
    expect(data.created as number).toBeGreaterThanOrEqual(before);
    expect(typeof data.estimated_time).toBe('number');
    expect(data.error).toBeUndefined();
  });

  it('queries an EvoLink task in EvoLink words, tolerating a JSON content type with no body and ?language', async () => {
    const id = (await create(EVOLINK_SPEC_EXAMPLE)).body.id as string;
    const got = await query(id, key, { headers: { 'content-type': 'application/json' } });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, object: 'video.generation.task', model: 'kling-v3-text-to-video', type: 'video' });
    expect(['pending', 'processing', 'completed']).toContain(got.body.status);
    expect(got.body.usage).toEqual({ billing_rule: 'per_second', credits_reserved: 3, user_group: 'default' });
    const apimartId = ((await create(APIMART_CASE_1)).body.data as Array<{ task_id: string }>)[0]?.task_id as string;
    const res = await server.api(`/v1/tasks/${apimartId}?language=zh`, { key, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).code).toBe(200);
  });

  it('answers 404 "Task not found or expired" for another key, an unknown id, and a Kling task', async () => {
    const evolinkId = (await create(EVOLINK_SPEC_EXAMPLE)).body.id as string;
    const apimartId = ((await create(APIMART_CASE_1)).body.data as Array<{ task_id: string }>)[0]?.task_id as string;
    const klingRes = await server.api('/v1/videos/text2video', { method: 'POST', key, json: README_EXAMPLE });
    const klingId = ((await klingRes.json()) as { data: { task_id: string } }).data.task_id;
    for (const [id, k] of [[evolinkId, other], [apimartId, other], ['task-unified-1757169743-7cvnl5zw', key], [klingId, key]] as const) {
      const { status, body } = await query(id, k);
      expect(status).toBe(404);
      expect(body).toEqual({ error: { code: 404, message: 'Task not found or expired', type: 'not_found_error', param: 'task_id' } });
    }
  });

  it('answers EvoLink bad input in EvoLink envelope naming the field', async () => {
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ ...EVOLINK_SPEC_EXAMPLE, duration: 16 }, 400, 'duration', /^duration must be an integer between 3 and 15$/],
      [{ ...EVOLINK_SPEC_EXAMPLE, quality: '8k' }, 400, 'quality', /^quality must be one of/],
      [{ ...EVOLINK_SEED_002, quality: '4k' }, 400, 'quality', /4k is not available/],
      [{ ...EVOLINK_SEED_002, prompt: '镜头 1, 3, a; 镜头 2, 1, b;' }, 400, 'prompt', /must add up to the total duration \(5\), not 4$/],
      [{ ...EVOLINK_SPEC_EXAMPLE, voice_ids: ['v1'] }, 400, 'voice_ids', /requires sound to be on/],
      [{ ...EVOLINK_SPEC_EXAMPLE, model: 'sora-2' }, 400, 'model', /^model 'sora-2' is not available; available models: kling-v3-text-to-video, kling-v3-turbo-text-to-video, kling-v3$/],
      [{ prompt: 'no model' }, 400, 'model', /^model is required/],
      [{ model: 42 }, 400, 'model', /^model must be a string$/],
    ];
    for (const [body, status, param, message] of cases) {
      const r = await create(body);
      expect(r.status).toBe(status);
      expectEvolinkError(r.body, status);
      expect(r.body.error.type).toBe('invalid_request_error');
      expect(r.body.error.param).toBe(param);
      expect(r.body.error.message).toMatch(message);
    }
  });

  it('answers APIMart bad input in the APIMart envelope naming the field', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...APIMART_CASE_1, duration: '5' }, 'duration', /^duration must be a plain JSON number such as 5, not a quoted string$/],
      [{ ...APIMART_CASE_1, image_urls: ['https://a.test/1.jpg', 'https://a.test/2.jpg', 'https://a.test/3.jpg'] }, 'image_urls', /at most 2 images/],
      [{ ...APIMART_CASE_1, multi_shot: true }, 'shot_type', /required when multi_shot is true/],
      [{ ...APIMART_CASE_1, prompt: '@fox runs', elements: [{ name: 'dog', description: 'a dog', element_input_urls: ['https://a.test/1.jpg', 'https://a.test/2.jpg'] }] }, 'prompt', /mentions @fox/],
    ];
    for (const [body, param, message] of cases) {
      const r = await create(body);
      expect(r.status).toBe(400);
      expectApimartError(r.body, 400);
      expect(r.body.error.param).toBe(param);
      expect(r.body.error.message).toMatch(message);
    }
  });

  it('answers bad credentials, malformed JSON and an oversized body in the EvoLink envelope', async () => {
    const noKey = await create(EVOLINK_SPEC_EXAMPLE, '');
    expect(noKey.status).toBe(401);
    expectEvolinkError(noKey.body, 401);
    expect(noKey.body.error.type).toBe('authentication_error');
    const badKey = await query('task-unified-1757169743-7cvnl5zw', 'not-a-key');
    expect(badKey.status).toBe(401);
    expectEvolinkError(badKey.body, 401);

    const bad = await fetch(`${server.url}/v1/videos/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"model": "kling-v3", ',
    });
    expect(bad.status).toBe(400);
    expectEvolinkError(await bad.json(), 400);
    const huge = await create({ ...APIMART_CASE_1, padding: 'x'.repeat(1024 * 1024 + 10) });
    expect(huge.status).toBe(400);
    expectEvolinkError(huge.body, 400);
    const array = await create([EVOLINK_SPEC_EXAMPLE]);
    expect(array.status).toBe(400);
    expectEvolinkError(array.body, 400);
  });

  it('never answers 5xx, and answers each error in the envelope of the dialect the model names (property)', async () => {
    const fields = fc.record(
      {
        model: fc.oneof(fc.constantFrom('kling-v3-text-to-video', 'kling-v3-turbo-text-to-video', 'kling-v3'), fc.string(), fc.integer()),
        prompt: fc.oneof(fc.string(), fc.constant('镜头 1, 2, a; 镜头 2, 1, b;'), fc.integer(), fc.constant(null)),
        duration: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.integer({ min: 3, max: 15 }).map(String), fc.double(), fc.string()),
        quality: fc.oneof(fc.constantFrom('720p', '1080p', '4k'), fc.string()),
        mode: fc.oneof(fc.constantFrom('std', 'pro', '4k'), fc.string()),
        sound: fc.oneof(fc.constantFrom('on', 'off'), fc.boolean()),
        generate_audio: fc.oneof(fc.boolean(), fc.string()),
        audio: fc.oneof(fc.boolean(), fc.string()),
        voice_ids: fc.array(fc.string(), { maxLength: 3 }),
        image_urls: fc.array(fc.oneof(fc.constant('https://a.test/1.jpg'), fc.string()), { maxLength: 3 }),
        multi_shot: fc.oneof(fc.boolean(), fc.string()),
        shot_type: fc.constantFrom('customize', 'intelligence', 'x'),
        multi_prompt: fc.array(fc.record({ index: fc.integer({ min: 0, max: 7 }), prompt: fc.string(), duration: fc.oneof(fc.string(), fc.integer({ min: 0, max: 9 })) }), { maxLength: 7 }),
        model_params: fc.oneof(fc.record({ multi_shot: fc.boolean(), shot_type: fc.string(), watermark: fc.boolean() }, { requiredKeys: [] }), fc.string()),
        elements: fc.array(fc.record({ name: fc.string(), description: fc.string(), element_input_urls: fc.array(fc.string(), { maxLength: 5 }) }), { maxLength: 4 }),
        callback_url: fc.oneof(fc.string(), fc.constant('https://example.com/hook')),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fields), async (body) => {
        const res = await server.api('/v1/videos/generations', { method: 'POST', key, json: body });
        expect(res.status).toBeLessThan(500);
        const answer = (await res.json()) as Json;
        const apimart = typeof body === 'object' && body !== null && !Array.isArray(body) && (body as Json).model === 'kling-v3';
        if (res.status === 200) {
          if (apimart) expect(answer.code).toBe(200);
          else expect(answer.object).toBe('video.generation.task');
        } else if (apimart) expectApimartError(answer, res.status);
        else expectEvolinkError(answer, res.status);
      }),
      { numRuns: 250 },
    );
  });
});
