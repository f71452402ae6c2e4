import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTestServer, startTestServer, type TestServer } from '../support/server.ts';

type Json = Record<string, unknown>;
type ReelayErrorBody = { error: { code: string; message: string; request_id: string; field?: string } };

const PROMPT = 'a cat on a windowsill';
const IMAGE = 'https://example.com/cat.png';

/** Each dialect's create path and a body of it, with the price the defaults give it (spec §1.12). */
const PRICED: ReadonlyArray<{ name: string; path: string; body: Json; expected: Json }> = [
  {
    name: 'Kling legacy, duration as a string',
    path: '/v1/videos/text2video',
    body: { prompt: PROMPT, duration: '5' },
    expected: { dialect: 'kling', model: 'kling-v3', tier: 'std', duration: 5, sound: false, voices: false, credits_per_second: 0.6, credits: 3 },
  },
  {
    name: 'Kling legacy, pro with sound',
    path: '/v1/videos/text2video',
    body: { prompt: PROMPT, duration: '10', mode: 'pro', sound: 'on' },
    expected: { dialect: 'kling', tier: 'pro', duration: 10, sound: true, credits_per_second: 1.2, credits: 12 },
  },
  {
    name: 'new-api /kling/v1, 4k with sound',
    path: '/kling/v1/videos/text2video',
    body: { model: 'kling-v3', prompt: PROMPT, duration: '5', mode: '4k', sound: 'on' },
    expected: { dialect: 'newapi', tier: '4k', sound: true, credits_per_second: 3, credits: 15 },
  },
  {
    name: 'new-api /kling/v1 image-to-video',
    path: '/kling/v1/videos/image2video',
    body: { model_name: 'kling-v3', image: IMAGE, prompt: PROMPT, duration: '5', mode: 'std' },
    expected: { dialect: 'newapi', tier: 'std', credits: 3 },
  },
  {
    name: 'Kling new design, turbo 1080p',
    path: '/text-to-video/kling-3.0-turbo',
    body: { prompt: PROMPT, settings: { resolution: '1080p', duration: 5 } },
    expected: { dialect: 'kling-new', model: 'kling-v3-turbo', tier: 'pro', duration: 5, credits_per_second: 1, credits: 5 },
  },
  {
    name: 'EvoLink, quality 1080p with sound',
    path: '/v1/videos/generations',
    body: { model: 'kling-v3-text-to-video', prompt: PROMPT, duration: 10, quality: '1080p', sound: 'on' },
    expected: { dialect: 'evolink', model: 'kling-v3', tier: 'pro', duration: 10, sound: true, credits: 12 },
  },
  {
    name: 'APIMart, mode pro with audio',
    path: '/v1/videos/generations',
    body: { model: 'kling-v3', prompt: PROMPT, mode: 'pro', duration: 5, audio: true },
    expected: { dialect: 'apimart', tier: 'pro', sound: true, credits_per_second: 1.2, credits: 6 },
  },
  {
    name: 'Novita, the tier in the path',
    path: '/v3/async/kling-v3.0-pro-t2v',
    body: { prompt: PROMPT, duration: 5 },
    expected: { dialect: 'novita', tier: 'pro', sound: false, credits_per_second: 0.8, credits: 4 },
  },
  {
    name: 'OpenAI, seconds and a 4k size (sound on by default)',
    path: '/v1/videos',
    body: { prompt: PROMPT, seconds: '5', size: '3840x2160' },
    expected: { dialect: 'openai', tier: '4k', duration: 5, sound: true, credits: 15 },
  },
  {
    name: 'OpenAI, 720p without sound',
    path: '/v1/videos',
    body: { model: 'kling-v3-turbo', prompt: PROMPT, seconds: 8, size: '1280x720', sound: false },
    expected: { dialect: 'openai', model: 'kling-v3-turbo', tier: 'std', duration: 8, sound: false, credits: 6.4 },
  },
];

/** Bodies each create route refuses: the estimate names the same field with the same message. */
const REFUSED: ReadonlyArray<{ name: string; path: string; body: Json; field: string }> = [
  { name: 'Kling, a 2 s duration', path: '/v1/videos/text2video', body: { prompt: PROMPT, duration: '2' }, field: 'duration' },
  { name: 'Kling, turbo in 4k', path: '/v1/videos/text2video', body: { model_name: 'kling-v3-turbo', prompt: PROMPT, mode: '4k' }, field: 'mode' },
  { name: 'Kling image-to-video without an image', path: '/v1/videos/image2video', body: { prompt: PROMPT }, field: 'image' },
  { name: 'Kling new design, a string duration', path: '/text-to-video/kling-3.0', body: { prompt: PROMPT, settings: { duration: '5' } }, field: 'settings.duration' },
  { name: 'EvoLink, an 8k quality', path: '/v1/videos/generations', body: { model: 'kling-v3-text-to-video', prompt: PROMPT, quality: '8k' }, field: 'quality' },
  { name: 'APIMart, a 16 s duration', path: '/v1/videos/generations', body: { model: 'kling-v3', prompt: PROMPT, duration: 16 }, field: 'duration' },
  { name: 'unified, no model', path: '/v1/videos/generations', body: { prompt: PROMPT }, field: 'model' },
  { name: 'Novita, a quoted duration', path: '/v3/async/kling-v3.0-std-t2v', body: { prompt: PROMPT, duration: '5' }, field: 'duration' },
  { name: 'OpenAI, a size Kling does not render', path: '/v1/videos', body: { prompt: PROMPT, size: '1024x1792' }, field: 'size' },
];

/** One tier of GET /v1/pricing, every number spelled out (the mode is the tier's own name). */
function tierRow(tier: string, resolution: string, perSecond: number, withAudio: number, voiceSurcharge: number): Json {
  return { tier, mode: tier, resolution, per_second: perSecond, per_second_with_audio: withAudio, voice_surcharge_per_second: voiceSurcharge };
}

function priceList(models: Json[]): Json {
  return { unit: 'credit', billing_rule: 'per_second', models };
}

/** The message of any dialect's error body: top-level (Kling, Novita) or under `error`. */
function messageOf(body: Json): unknown {
  return typeof body.message === 'string' ? body.message : (body.error as Json | undefined)?.message;
}

function expectReelayError(body: unknown, code: string, field?: string): asserts body is ReelayErrorBody {
  const e = body as ReelayErrorBody;
  expect(Object.keys(e)).toEqual(['error']);
  expect(e.error).toMatchObject({ code, message: expect.any(String), request_id: expect.any(String) });
  if (field === undefined) expect(e.error.field).toBeUndefined();
  else expect(e.error.field).toBe(field);
}

describe('GET /v1/pricing and POST /v1/pricing/estimate', () => {
  let server: TestServer;
  let key: string;

  routeTestServer((suite) => ({ server, key } = suite), { stopWorker: true });

  const estimate = async (json: unknown, k: string = key) => {
    const res = await server.api('/v1/pricing/estimate', { method: 'POST', key: k, json });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('lists the served models with every tier and number filled in', async () => {
    const res = await server.api('/v1/pricing', { key });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(
      priceList([
        { model: 'kling-v3', tiers: [tierRow('std', '720p', 0.6, 0.9, 0), tierRow('pro', '1080p', 0.8, 1.2, 0), tierRow('4k', '4k', 3, 3, 0)] },
        { model: 'kling-v3-turbo', tiers: [tierRow('std', '720p', 0.8, 0.8, 0), tierRow('pro', '1080p', 1, 1, 0)] },
      ]),
    );
  });

  it('answers the master key too, and refuses a request without a key in its own envelope', async () => {
    expect((await server.api('/v1/pricing')).status).toBe(200);
    expect((await estimate({ path: '/v1/videos/text2video', body: { prompt: PROMPT } }, server.masterKey)).status).toBe(200);
    for (const res of [await server.api('/v1/pricing', { key: '' }), await server.api('/v1/pricing/estimate', { method: 'POST', key: '', json: { path: '/v1/videos', body: {} } })]) {
      expect(res.status).toBe(401);
      expectReelayError(await res.json(), 'auth_missing');
    }
    const wrong = await server.api('/v1/pricing', { key: 'rlk_not_a_key' });
    expect(wrong.status).toBe(401);
    expectReelayError(await wrong.json(), 'auth_invalid');
  });

  for (const { name, path, body, expected } of PRICED) {
    it(`prices a create body of ${name}`, async () => {
      const got = await estimate({ path, body });
      expect(got.status).toBe(200);
      expect(Object.keys(got.body).sort()).toEqual(['billing_rule', 'credits', 'credits_per_second', 'dialect', 'duration', 'model', 'sound', 'tier', 'voices']);
      expect(got.body).toMatchObject({ billing_rule: 'per_second', ...expected });
      expect(typeof got.body.credits).toBe('number');
      expect(typeof got.body.credits_per_second).toBe('number');
      expect(typeof got.body.duration).toBe('number');
    });
  }

  for (const { name, path, body, field } of REFUSED) {
    it(`refuses what the create route refuses, with its message and field: ${name}`, async () => {
      const created = await server.api(path, { method: 'POST', key, json: body });
      expect(created.status).toBe(400);
      const got = await estimate({ path, body });
      expect(got.status).toBe(400);
      expectReelayError(got.body, 'invalid_parameter', field);
      expect(got.body.error).toMatchObject({ message: messageOf((await created.json()) as Json) });
    });
  }

  it('refuses a model the path names but the server does not serve as a 400 naming model', async () => {
    const got = await estimate({ path: '/text-to-video/kling-2.6', body: { prompt: PROMPT } });
    expect(got.status).toBe(400);
    expectReelayError(got.body, 'model_not_found', 'model');
    expect(got.body.error).toMatchObject({ message: "model 'kling-2.6' is not available for text-to-video; available models: kling-3.0, kling-3.0-turbo" });
  });

  it('refuses a path that is no create route, listing the create paths', async () => {
    for (const path of ['/v1/videos/text2video/123', '/v1/tasks/x', '/v3/async/kling-v3.0-4k-t2v', 'v1/videos', '']) {
      const got = await estimate({ path, body: { prompt: PROMPT } });
      expect(got.status).toBe(400);
      expectReelayError(got.body, 'invalid_parameter', 'path');
      const { message } = got.body.error;
      for (const listed of ['/v1/videos/text2video', '/kling/v1/videos/image2video', '/v1/videos/generations', '/v1/videos', '/v3/async/kling-v3.0-pro-t2v', '/text-to-video/{model}']) {
        expect(message).toContain(listed);
      }
    }
  });

  it('refuses an estimate request without path or body, with another field, or not JSON', async () => {
    const noPath = await estimate({ body: { prompt: PROMPT } });
    expect(noPath.status).toBe(400);
    expectReelayError(noPath.body, 'invalid_parameter', 'path');
    const noBody = await estimate({ path: '/v1/videos' });
    expect(noBody.status).toBe(400);
    expectReelayError(noBody.body, 'invalid_parameter', 'body');
    const extra = await estimate({ path: '/v1/videos', body: { prompt: PROMPT }, key: 'x' });
    expect(extra.status).toBe(400);
    expectReelayError(extra.body, 'invalid_parameter', 'key');
    const notJson = await server.api('/v1/pricing/estimate', { method: 'POST', key, body: '{"path":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expectReelayError(await notJson.json(), 'invalid_json');
  });

  it('refuses a body larger than its create route reads', async () => {
    const body = { prompt: 'x'.repeat(1024 * 1024) };
    const got = await estimate({ path: '/v1/videos/text2video', body });
    expect(got.status).toBe(400);
    expectReelayError(got.body, 'body_too_large', 'body');
    expect((await server.api('/v1/videos/text2video', { method: 'POST', key, json: body })).status).toBe(400);
  });

  it('answers other methods and paths under /v1/pricing in its own envelope', async () => {
    const post = await server.api('/v1/pricing', { method: 'POST', key, json: {} });
    expect(post.status).toBe(404);
    expectReelayError(await post.json(), 'route_not_found');
    const get = await server.api('/v1/pricing/estimate', { key });
    expect(get.status).toBe(404);
    expectReelayError(await get.json(), 'route_not_found');
  });

  it('creates no task and holds nothing', async () => {
    const fresh = await server.createKey('estimates only');
    for (const { path, body } of PRICED) expect((await estimate({ path, body }, fresh.key)).status).toBe(200);
    const rows = await server.db.kysely.selectFrom('tasks').select('id').where('key_id', '=', fresh.id).execute();
    expect(rows).toEqual([]);
    const kling = (await (await server.api('/v1/videos/text2video', { key: fresh.key })).json()) as { data: unknown[] };
    expect(kling.data).toEqual([]);
    const openai = (await (await server.api('/v1/videos', { key: fresh.key })).json()) as { data: unknown[] };
    expect(openai.data).toEqual([]);
  });
});

describe('prices from the config file', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({
      configFile: {
        worker: { concurrency: 1 },
        models: ['kling-v3'],
        prices: { 'kling-v3': { std: { per_second: 1, per_second_with_audio: 1.5, voice_surcharge_per_second: 0.25 }, '4k': { per_second: 4 } } },
      },
    });
    await server.worker.stop();
    key = (await server.createKey('priced')).key;
  });
  afterAll(async () => server?.stop());

  const estimate = async (path: string, body: Json) => {
    const res = await server.api('/v1/pricing/estimate', { method: 'POST', key, json: { path, body } });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('lists only the served models, with the configured model replacing its defaults', async () => {
    expect(await (await server.api('/v1/pricing', { key })).json()).toEqual(
      priceList([{ model: 'kling-v3', tiers: [tierRow('std', '720p', 1, 1.5, 0.25), tierRow('4k', '4k', 4, 4, 0)] }]),
    );
  });

  it('estimates with the configured prices, voices included', async () => {
    const voiced = await estimate('/v1/videos/text2video', { prompt: 'a cat says <<<voice_1>>>', duration: '4', sound: 'on', voice_list: [{ voice_id: 'v1' }] });
    expect(voiced.status).toBe(200);
    expect(voiced.body).toMatchObject({ tier: 'std', sound: true, voices: true, credits_per_second: 1.75, credits: 7 });
    expect((await estimate('/v1/videos', { prompt: PROMPT, seconds: '5', size: '2160x2160' })).body).toMatchObject({ tier: '4k', credits: 20 });
  });

  it('refuses a tier the configured model is not sold in, naming mode, as create does', async () => {
    const body = { prompt: PROMPT, mode: 'pro' };
    const got = await estimate('/v1/videos/text2video', body);
    expect(got.status).toBe(400);
    expectReelayError(got.body, 'invalid_parameter', 'mode');
    const created = await server.api('/v1/videos/text2video', { method: 'POST', key, json: body });
    expect(created.status).toBe(400);
    expect(got.body.error).toMatchObject({ message: messageOf((await created.json()) as Json) });
  });
});
