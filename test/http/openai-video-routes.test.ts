import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routeTestServer, type TestServer } from '../support/server.ts';

type Video = {
  id: string; object: string; model: string; status: string; progress: number; created_at: number; completed_at: number | null;
  expires_at: number | null; seconds: string; size: string; remixed_from_video_id: null; error: { code: string; message: string } | null;
};
type OpenAiErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

const VIDEO_ID = /^video_[0-9a-f]{32}$/;
/** OpenAI's documented create example with a Kling model and a size Kling renders. */
const EXAMPLE = { model: 'kling-v3', prompt: 'A calico cat playing a piano on stage', seconds: '4', size: '1280x720' };

describe('OpenAI video routes', () => {
  let server: TestServer;
  let key: string;
  let other: string;

  routeTestServer((suite) => ({ server, key, other } = suite));

  const create = (body: unknown, k = key) => server.api('/v1/videos', { method: 'POST', key: k, json: body });
  const createForm = (fields: Record<string, string | Blob>, k = key) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    return server.api('/v1/videos', { method: 'POST', key: k, body: form });
  };
  const expectError = async (res: Response, status: number, param: string | null, message?: RegExp) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as OpenAiErrorBody;
    expect(body).toEqual({ error: { message: expect.any(String), type: status >= 500 ? 'server_error' : 'invalid_request_error', param, code: expect.anything() } });
    if (message) expect(body.error.message).toMatch(message);
    return body.error;
  };

  it('answers a JSON create with the video object, every field typed as OpenAI types it', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await create(EXAMPLE);
    expect(res.status).toBe(200);
    const video = (await res.json()) as Video;
    expect(video).toEqual({
      id: expect.stringMatching(VIDEO_ID),
      object: 'video',
      model: 'kling-v3',
      status: 'queued',
      progress: 0,
      created_at: expect.any(Number),
      completed_at: null,
      expires_at: null,
      seconds: '4',
      size: '1280x720',
      remixed_from_video_id: null,
      error: null,
      // Reelay's extension: 4 s at 720p with audio (OpenAI's videos have sound) = 4 × 0.9 credits held.
      reelay_usage: { billing_rule: 'per_second', credits_reserved: 3.6, credits_charged: null, credits_refunded: null, billed_seconds: null },
    });
    expect(video.created_at).toBeGreaterThanOrEqual(before);
    expect(video.created_at).toBeLessThan(10_000_000_000);
  });

  it('answers a multipart create (every field text) and a urlencoded one', async () => {
    const res = await createForm({ model: 'kling-v3-turbo', prompt: 'a paper boat', seconds: '5', size: '1920x1080', sound: 'false', negative_prompt: 'blur' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ model: 'kling-v3-turbo', seconds: '5', size: '1920x1080', status: 'queued' });
    const form = await server.api('/v1/videos', {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'a kite', mode: 'pro', aspect_ratio: '1:1' }).toString(),
    });
    expect(form.status).toBe(200);
    expect(await form.json()).toMatchObject({ model: 'kling-v3', seconds: '4', size: '1080x1080' });
  });

  it('finds a video by id for its owner only, and never a task of another dialect', async () => {
    const { id } = (await (await create(EXAMPLE)).json()) as Video;
    const res = await server.api(`/v1/videos/${id}`, { key, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Video).id).toBe(id);
    await expectError(await server.api(`/v1/videos/${id}`, { key: other }), 404, 'video_id', new RegExp(id));
    const kling = await server.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: 'x', duration: '3' } });
    const klingId = ((await kling.json()) as { data: { task_id: string } }).data.task_id;
    await expectError(await server.api(`/v1/videos/${klingId}`, { key }), 404, 'video_id');
  });

  it('leaves the Kling routes under /v1/videos to Kling', async () => {
    const created = await server.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: 'x', duration: '3' } });
    expect(await created.json()).toMatchObject({ code: 0, data: { task_status: 'submitted' } });
    const list = await server.api('/v1/videos/text2video', { key });
    expect(await list.json()).toMatchObject({ code: 0 });
    const image = await server.api('/v1/videos/image2video/123456789012345678', { key });
    expect(await image.json()).toMatchObject({ code: 1203 });
  });

  it('answers each error in the OpenAI envelope with OpenAI statuses', async () => {
    const noKey = await expectError(await create(EXAMPLE, ''), 401, null);
    expect(noKey.code).toBe('invalid_api_key');
    await expectError(await create(EXAMPLE, 'sk-not-a-key'), 401, null);
    const model = await expectError(await create({ ...EXAMPLE, model: 'sora-2' }), 404, 'model', /available models: kling-v3, kling-v3-turbo/);
    expect(model.code).toBe('model_not_found');
    await expectError(await create({ ...EXAMPLE, seconds: '16' }), 400, 'seconds', /^seconds must be an integer between 3 and 15$/);
    await expectError(await create({ ...EXAMPLE, size: '1792x1024' }), 400, 'size', /^size must be one of: 1280x720/);
    await expectError(await create({ ...EXAMPLE, aspect_ratio: '9:16' }), 400, 'aspect_ratio', /does not match size/);
    await expectError(await createForm({ ...EXAMPLE, input_reference: new Blob(['png'], { type: 'image/png' }) }), 400, 'input_reference', /not supported/);
    await expectError(await createForm({ ...EXAMPLE, prompt: new Blob(['x'], { type: 'text/plain' }) }), 400, 'prompt', /text field/);
    await expectError(await createForm({ ...EXAMPLE, seconds: 'eight' }), 400, 'seconds');
    const badMultipart = await server.api('/v1/videos', { method: 'POST', key, headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'not multipart' });
    await expectError(badMultipart, 400, null, /multipart/);
    const badJson = await server.api('/v1/videos', { method: 'POST', key, headers: { 'content-type': 'application/json' }, body: '{"prompt": ' });
    await expectError(badJson, 400, null, /valid JSON/);
    await expectError(await create({ ...EXAMPLE, padding: 'x'.repeat(1024 * 1024 + 10) }), 400, null, /1 MiB/);
    await expectError(await server.api('/v1/videos/video_00000000000000000000000000000000', { key }), 404, 'video_id');
  });

  it('answers 404 for the content of a video that is not completed yet, and refuses a bad variant', async () => {
    const { id } = (await (await create({ ...EXAMPLE, seconds: '15', size: '3840x2160' })).json()) as Video;
    await expectError(await server.api(`/v1/videos/${id}/content`, { key }), 404, 'video_id', /status is (queued|in_progress)/);
    await expectError(await server.api(`/v1/videos/${id}/content?variant=spritesheet`, { key }), 400, 'variant', /^variant must be one of: video, thumbnail$/);
  });

  it('pages through a key videos with after, limit and order', async () => {
    const mine = (await server.createKey('lister')).key;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await server.api('/v1/videos', { method: 'POST', key: mine, json: EXAMPLE })).json()) as Video).id);
    const list = async (query: string) => {
      const res = await server.api(`/v1/videos${query}`, { key: mine, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
      return (await res.json()) as { object: string; data: Video[]; first_id: string | null; last_id: string | null; has_more: boolean };
    };
    const first = await list('?limit=2');
    expect(first).toMatchObject({ object: 'list', first_id: ids[2], last_id: ids[1], has_more: true });
    expect(first.data.map((v) => v.id)).toEqual([ids[2], ids[1]]);
    expect(first.data[0]).toMatchObject({ object: 'video', seconds: '4', size: '1280x720' });
    const next = await list(`?limit=2&after=${first.last_id}`);
    expect(next).toMatchObject({ data: [{ id: ids[0] }], first_id: ids[0], last_id: ids[0], has_more: false });
    expect((await list('?order=asc')).data.map((v) => v.id)).toEqual(ids);
    expect(await list(`?after=${ids[0]}`)).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    const res = await server.api('/v1/videos?after=video_nope', { key: mine });
    await expectError(res, 400, 'after', /not one of your videos/);
    await expectError(await server.api('/v1/videos?limit=101', { key: mine }), 400, 'limit');
    await expectError(await server.api('/v1/videos?order=up', { key: mine }), 400, 'order');
    // Another key sees none of them.
    const others = await server.api('/v1/videos', { key: other });
    expect(((await others.json()) as { data: Video[] }).data.map((v) => v.id)).not.toContain(ids[0]);
  });

  it('refuses to delete a video that is still queued or in progress, saying to wait', async () => {
    const { id } = (await (await server.api('/v1/videos', { method: 'POST', key, json: { ...EXAMPLE, seconds: '15', size: '3840x2160' } })).json()) as Video;
    await expectError(await server.api(`/v1/videos/${id}`, { method: 'DELETE', key }), 400, 'video_id', /still (queued|in_progress); wait/);
    await expectError(await server.api(`/v1/videos/${id}`, { method: 'DELETE', key: other }), 404, 'video_id');
    expect((await server.api(`/v1/videos/${id}`, { key })).status).toBe(200);
  });

  it('never answers a 5xx to any JSON or multipart body, and every error is an OpenAI error', async () => {
    const field = fc.oneof(fc.string(), fc.constantFrom('kling-v3', 'kling-v3-turbo', '4', '15', '1280x720', '3840x2160', 'pro', '4k', '9:16', 'true', 'on'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((json) => ({ json })),
          fc
            .record({ model: field, prompt: fc.oneof(field, fc.integer()), seconds: fc.oneof(field, fc.integer({ min: -1, max: 20 }), fc.double()), size: field, mode: field, aspect_ratio: field, sound: fc.oneof(field, fc.boolean()), negative_prompt: field }, { requiredKeys: [] })
            .map((json) => ({ json })),
          fc.dictionary(fc.constantFrom('model', 'prompt', 'seconds', 'size', 'mode', 'aspect_ratio', 'sound', 'x'), field).map((form) => ({ form })),
        ),
        async (input) => {
          const res = 'json' in input ? await create(input.json) : await createForm(input.form);
          expect(res.status).toBeLessThan(500);
          const body = (await res.json()) as Record<string, unknown>;
          if (res.status === 200) {
            expect(body).toMatchObject({ id: expect.stringMatching(VIDEO_ID), object: 'video', status: 'queued' });
          } else {
            expect(body).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: expect.toSatisfy((p: unknown) => p === null || typeof p === 'string'), code: expect.any(String) } });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
