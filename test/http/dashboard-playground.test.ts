/**
 * The playground over real HTTP: the page, its estimate and its create. Bodies are the official
 * Kling JSON that public/dashboard/playground.js builds (duration and shot durations as digit
 * strings), so the tests pin what the browser sends, not a friendlier shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, type DashboardClient } from '../support/dashboard-client.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type ApiError = { error: { code: string; message: string; field?: string } };
type Estimate = { credits: number; micros: number; model: string; tier: string; duration: number };
type KlingTask = { code: number; data: { task_id: string; task_status: string; task_result?: { videos: Array<{ url: string; duration: string }> } } };

/** What the script sends for model kling-v3, std, 3 s, 1:1, sound off and one prompt. */
const SMALL_BODY = { model_name: 'kling-v3', mode: 'std', duration: '3', aspect_ratio: '1:1', sound: 'off', prompt: 'A paper boat drifts down a rainy street' };

/** A customized multi-shot body as the shots editor builds it. */
const SHOTS_BODY = {
  model_name: 'kling-v3',
  mode: 'pro',
  duration: '6',
  aspect_ratio: '16:9',
  sound: 'on',
  multi_shot: true,
  shot_type: 'customize',
  multi_prompt: [
    { index: 1, prompt: 'Wide shot of a harbour at dawn', duration: '2' },
    { index: 2, prompt: 'Close-up of a gull taking off', duration: '4' },
  ],
  negative_prompt: 'blur',
};

describe('dashboard playground', () => {
  let server: TestServer;
  let key: string;
  let user: DashboardClient;
  let master: DashboardClient;

  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    key = (await server.createKey('playground')).key;
    user = await signIn(server.url, key);
    master = await signIn(server.url, server.masterKey);
  });
  afterAll(async () => server?.stop());

  const estimate = async (body: unknown, client = user) => {
    const res = await client.postJson('/dashboard/api/estimate', body);
    return { status: res.status, json: (await res.json()) as Estimate & ApiError };
  };
  const create = async (body: unknown, client = user) => {
    const res = await client.postJson('/dashboard/api/tasks', body);
    return { status: res.status, json: (await res.json()) as { id: string; url: string } & ApiError };
  };
  const officialEstimate = async (path: string, body: unknown) => {
    const res = await server.api('/v1/pricing/estimate', { method: 'POST', key, json: { path, body } });
    expect(res.status).toBe(200);
    return (await res.json()) as { credits: number; model: string; tier: string; duration: number };
  };

  it('renders the form with every field, its script, and nothing inline the CSP would block', async () => {
    const res = await user.get('/dashboard/playground');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="playground"');
    for (const name of ['model_name', 'mode', 'duration', 'aspect_ratio', 'sound', 'shot_type']) expect(html).toMatch(new RegExp(`<select name="${name}"`));
    for (const name of ['prompt', 'negative_prompt']) expect(html).toMatch(new RegExp(`<textarea name="${name}"`));
    for (const name of ['image_file', 'image_url', 'image_tail_file', 'image_tail_url']) expect(html).toContain(`name="${name}"`);
    for (const id of ['shots', 'add-shot', 'estimate', 'submit', 'form-error']) expect(html).toContain(`id="${id}"`);
    for (const option of ['kling-v3', 'kling-v3-turbo', '"std"', '"pro"', '"4k"', '"9:16"', '"15"']) expect(html).toContain(`value=${option.startsWith('"') ? option : `"${option}"`}`);
    expect(html).toContain('maxlength="2500"');
    expect(html).toContain('<script src="/dashboard/assets/playground.js" defer=""></script>');
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const script = await fetch(`${server.url}/dashboard/assets/playground.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('shows the master key a note instead of the form, and refuses its creates with 403', async () => {
    const res = await master.get('/dashboard/playground');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('id="playground"');
    expect(html).toContain('sign in with an API key');
    const refused = await create(SMALL_BODY, master);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('forbidden');
  });

  it('estimates what POST /v1/pricing/estimate answers for the same body', async () => {
    for (const body of [SMALL_BODY, SHOTS_BODY, { ...SMALL_BODY, mode: '4k', duration: '15', sound: 'on' }]) {
      const mine = await estimate(body);
      expect(mine.status).toBe(200);
      const official = await officialEstimate('/v1/videos/text2video', body);
      expect(mine.json).toMatchObject({ credits: official.credits, model: official.model, tier: official.tier, duration: official.duration });
      expect(mine.json.micros).toBe(Math.round(official.credits * 1_000_000));
    }
    // A first frame makes it an image-to-video body, priced by that route's parser.
    const framed = { ...SMALL_BODY, image: 'https://example.com/first.png' };
    const mine = await estimate(framed);
    expect(mine.status).toBe(200);
    expect(mine.json.credits).toBe((await officialEstimate('/v1/videos/image2video', framed)).credits);
  });

  it('refuses bad bodies with 400 naming the field, on estimate and create alike', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...SMALL_BODY, duration: '2' }, 'duration', /between 3 and 15/],
      [{ ...SMALL_BODY, duration: 5 + 0.5 }, 'duration', /integer/],
      [{ ...SMALL_BODY, prompt: 'x'.repeat(2501) }, 'prompt', /2500/],
      [{ ...SMALL_BODY, prompt: '' }, 'prompt', /required/],
      [{ ...SHOTS_BODY, duration: '7' }, 'multi_prompt', /add up to the total duration \(7\), not 6/],
      [{ ...SHOTS_BODY, multi_prompt: [{ index: 1, prompt: 'one', duration: '6' }, { index: 2, prompt: 'two', duration: '0' }] }, 'multi_prompt[1].duration', /./],
      [{ ...SMALL_BODY, mode: '8k' }, 'mode', /std/],
      [{ ...SMALL_BODY, image: 'data:image/png;base64,AAAA' }, 'image', /data: prefix/],
      [{ ...SMALL_BODY, image_tail: 'AAAA', multi_shot: true, shot_type: 'intelligence' }, 'image_tail', /multi-shot/],
    ];
    for (const [body, field, rule] of cases) {
      for (const send of [estimate, create]) {
        const { status, json } = await send(body);
        expect(status, JSON.stringify({ body, json }).slice(0, 300)).toBe(400);
        expect(json.error.field).toBe(field);
        expect(json.error.message).toMatch(rule);
      }
    }
    const notJson = await fetch(`${server.url}/dashboard/api/estimate`, {
      method: 'POST',
      headers: { cookie: user.cookie, 'x-csrf-token': user.csrf, 'content-type': 'application/json' },
      body: '{"duration":',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as ApiError).error.code).toBe('invalid_json');
  });

  it('guards both endpoints: no session 401, missing or wrong CSRF token 403', async () => {
    for (const path of ['/dashboard/api/estimate', '/dashboard/api/tasks']) {
      const anonymous = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url, 'x-csrf-token': user.csrf },
        body: JSON.stringify(SMALL_BODY),
      });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as ApiError).error.code).toBe('auth_missing');
      for (const csrf of [null, 'wrong', user.csrf.slice(0, -1)]) {
        const res = await user.postJson(path, SMALL_BODY, { csrf });
        expect(res.status).toBe(403);
        expect(((await res.json()) as ApiError).error.code).toBe('csrf_failed');
      }
    }
    const page = await fetch(`${server.url}/dashboard/playground`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toContain('/dashboard/login');
  });

  it('replays a create with the same Idempotency-Key', async () => {
    const send = () =>
      fetch(`${server.url}/dashboard/api/tasks`, {
        method: 'POST',
        headers: { cookie: user.cookie, 'x-csrf-token': user.csrf, 'content-type': 'application/json', 'idempotency-key': 'playground-replay-1' },
        body: JSON.stringify(SHOTS_BODY),
      });
    const first = await send();
    expect(first.status).toBe(201);
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
  });

  it('makes a body with a first frame (raw base64, as the script reads a file) an image2video task', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const { status, json } = await create({ ...SMALL_BODY, image: png });
    expect(status).toBe(201);
    const res = await server.api(`/v1/videos/image2video/${json.id}`, { key });
    expect(res.status).toBe(200);
    expect(((await res.json()) as KlingTask).data.task_id).toBe(json.id);
    expect((await server.api(`/v1/videos/text2video/${json.id}`, { key })).status).toBe(404);
  });

  it('creates a Kling task that the official API sees and that completes with a real MP4', async () => {
    const { status, json } = await create(SMALL_BODY);
    expect(status).toBe(201);
    expect(json.id).toMatch(/^\d{18}$/);
    expect(json.url).toBe(`/dashboard/tasks/${json.id}`);
    const page = await user.get(json.url);
    expect(page.status).toBe(200);

    let task: KlingTask | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const res = await server.api(`/v1/videos/text2video/${json.id}`, { key });
      expect(res.status).toBe(200);
      task = (await res.json()) as KlingTask;
      expect(task.code).toBe(0);
      expect(task.data.task_id).toBe(json.id);
      if (task.data.task_status === 'succeed' || task.data.task_status === 'failed') break;
    }
    expect(task?.data.task_status).toBe('succeed');
    const video = task?.data.task_result?.videos[0];
    expect(video?.duration).toBe('3');
    const media = await fetch(new URL(video?.url ?? '', server.url));
    expect(media.status).toBe(200);
    const bytes = Buffer.from(await media.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });
});
