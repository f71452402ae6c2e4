import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKlingProvider, type KlingProviderOptions } from '../../src/providers/kling/kling-provider.ts';
import type { RemoteProvider, UpstreamSubmission } from '../../src/providers/remote-provider.ts';
import { UpstreamError } from '../../src/providers/upstream-error.ts';
import { createUpstreamHttp, type UpstreamHttp } from '../../src/providers/upstream-http.ts';
import { videoRequest } from '../support/video-request.ts';

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };
type Reply = (res: ServerResponse, req: IncomingMessage) => void;

/** A node:http server that answers each request with the next scripted reply, and records them all. */
function scriptedServer() {
  const replies: Reply[] = [];
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = replies.shift() ?? json(500, { code: 5000, message: 'no reply scripted' });
      reply(res, req);
    });
  });
  return {
    replies,
    seen,
    url: '',
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

const ok = (data: unknown): Reply => json(200, { code: 0, message: 'SUCCEED', request_id: 'r-1', data });
const created = (taskId: string) => ok({ task_id: taskId, task_status: 'submitted', task_info: {}, created_at: 1, updated_at: 1 });
const kling = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  json(status, { code, message, request_id: '9984d27b-a408-4073-ae28-17ca6a13622d' }, headers);

const SK = 'sk-secret-for-tests';
const upstream = scriptedServer();
const clock = { now: 1_760_000_000_000 };
let http: UpstreamHttp;

beforeAll(async () => {
  await upstream.start();
  http = createUpstreamHttp({ timeoutMs: 5000, requestsPerSecond: 1000 });
});
afterAll(async () => {
  await http.close();
  await upstream.stop();
});
afterEach(() => {
  upstream.replies.length = 0;
  upstream.seen.length = 0;
});

function provider(over: Partial<KlingProviderOptions> = {}): RemoteProvider {
  const options: KlingProviderOptions = { name: 'kling-main', baseUrl: upstream.url, auth: { kind: 'jwt', accessKey: 'AK-1', secretKey: SK }, protocol: 'kling', ...over };
  return createKlingProvider(options, { http, now: () => clock.now });
}

const submission = (over: Partial<UpstreamSubmission> = {}): UpstreamSubmission => ({
  reelayId: 'rl_0001',
  kind: 'text2video',
  request: videoRequest({ prompt: 'a lighthouse in a storm' }),
  upstreamModel: 'kling-v3',
  callbackUrl: null,
  ...over,
});

const signal = () => AbortSignal.timeout(10_000);
const bearerOf = (s: Seen | undefined) => (s?.headers.authorization ?? '').replace(/^Bearer /, '');

/** The provider's lookup (the Kling provider always has one). */
function lookupOf(p: RemoteProvider): NonNullable<RemoteProvider['lookup']> {
  if (!p.lookup) throw new Error('the provider has no lookup');
  return p.lookup;
}

async function rejection(p: Promise<unknown>): Promise<UpstreamError> {
  const e = await p.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  if (e instanceof UpstreamError) return e;
  throw e;
}

describe('kling provider: submit', () => {
  it('POSTs the legacy body with a valid JWT and returns the task id', async () => {
    upstream.replies.push(created('867283741759111202'));
    await expect(provider().submit(submission(), signal())).resolves.toEqual({ upstreamId: '867283741759111202' });
    const [req] = upstream.seen;
    expect(req).toMatchObject({ method: 'POST', url: '/v1/videos/text2video' });
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['user-agent']).toBe('reelay/0.1');
    expect(req?.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const { payload } = await jwtVerify(bearerOf(req), new TextEncoder().encode(SK), { currentDate: new Date(clock.now) });
    expect(payload).toEqual({ iss: 'AK-1', exp: clock.now / 1000 + 1800, nbf: clock.now / 1000 - 5 });
    expect(JSON.parse(req?.body ?? '')).toMatchObject({ model_name: 'kling-v3', prompt: 'a lighthouse in a storm', duration: '5', external_task_id: 'rl_0001' });
  });

  it('posts image2video tasks to their own route', async () => {
    upstream.replies.push(created('t-img'));
    const s = submission({ kind: 'image2video', request: videoRequest({ firstFrame: 'https://example.com/a.png' }) });
    await provider().submit(s, signal());
    expect(upstream.seen[0]?.url).toBe('/v1/videos/image2video');
    expect(JSON.parse(upstream.seen[0]?.body ?? '')).toMatchObject({ image: 'https://example.com/a.png' });
  });

  it('re-signs exactly once after 1004 and sends the fresh token', async () => {
    const p = provider();
    const first: Reply = (res, req) => {
      clock.now += 60_000; // time passes, so the new token differs from the old
      kling(401, 1004, 'Authorization has expired')(res, req);
    };
    upstream.replies.push(first, created('t-after-resign'), ok({ task_id: 't-after-resign', task_status: 'processing' }));
    await expect(p.submit(submission(), signal())).resolves.toEqual({ upstreamId: 't-after-resign' });
    expect(upstream.seen).toHaveLength(2);
    const [stale, fresh] = upstream.seen.map(bearerOf);
    expect(fresh).not.toBe(stale);
    expect(decodeJwt(fresh ?? '').nbf).toBe(decodeJwt(stale ?? '').nbf as number + 60);
    // The fresh token is the one kept.
    await p.check({ upstreamId: 't-after-resign', kind: 'text2video' }, signal());
    expect(bearerOf(upstream.seen[2])).toBe(fresh);
  });

  it('calls a second auth error a channel error, after one retry', async () => {
    upstream.replies.push(kling(401, 1003, 'Authorization is not yet valid'), kling(401, 1004, 'Authorization has expired'));
    const e = await rejection(provider().submit(submission(), signal()));
    expect(e).toMatchObject({ errorClass: 'channel', code: '1004', httpStatus: 401 });
    expect(upstream.seen).toHaveLength(2);
  });

  it('does not retry auth errors with a static API key', async () => {
    upstream.replies.push(kling(401, 1004, 'Authorization has expired'));
    const e = await rejection(provider({ auth: { kind: 'bearer', apiKey: 'sk-static' } }).submit(submission(), signal()));
    expect(e).toMatchObject({ errorClass: 'channel', code: '1004' });
    expect(upstream.seen).toHaveLength(1);
  });

  it('reads the official 1303 body as throttled, with the Retry-After wait', async () => {
    upstream.replies.push(kling(429, 1303, 'parallel task over resource pack limit', { 'retry-after': '3' }), kling(429, 1303, 'parallel task over resource pack limit'));
    const e = await rejection(provider().submit(submission(), signal()));
    expect(e).toMatchObject({ errorClass: 'throttled', code: '1303', message: 'parallel task over resource pack limit', httpStatus: 429, retryAfterMs: 3000 });
    expect((await rejection(provider().submit(submission(), signal()))).retryAfterMs).toBeNull();
  });

  it('checks code even on HTTP 200', async () => {
    upstream.replies.push(kling(200, 1301, 'Content security policy triggered'));
    expect(await rejection(provider().submit(submission(), signal()))).toMatchObject({ errorClass: 'rejected', code: '1301', message: 'Content security policy triggered' });
  });

  it('calls a bare 500 ambiguous', async () => {
    upstream.replies.push((res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('upstream exploded');
    });
    expect(await rejection(provider().submit(submission(), signal()))).toMatchObject({ errorClass: 'ambiguous', code: 'http_500', httpStatus: 500 });
  });

  it('calls a connection destroyed mid-request ambiguous', async () => {
    upstream.replies.push((_res, req) => req.socket.destroy());
    expect(await rejection(provider().submit(submission(), signal()))).toMatchObject({ errorClass: 'ambiguous' });
  });

  it('calls a 200 that is not an envelope ambiguous bad_answer', async () => {
    upstream.replies.push(json(200, { hello: 'world' }), ok({ task_status: 'submitted' }));
    expect(await rejection(provider().submit(submission(), signal()))).toMatchObject({ errorClass: 'ambiguous', code: 'bad_answer' });
    const e = await rejection(provider().submit(submission(), signal()));
    expect(e).toMatchObject({ code: 'bad_answer' });
    expect(e.message).toContain('data.task_id');
  });

  it('refuses to send what the legacy API cannot carry', async () => {
    const subject = { kind: 'subject' as const, name: 'hero', description: '', imageUrls: ['https://e.x/1.png', 'https://e.x/2.png'] };
    const s = submission({ kind: 'image2video', request: videoRequest({ prompt: '@hero', firstFrame: 'https://e.x/a.png', elements: [subject] }) });
    expect(provider().unsupported(s.request, s.kind)).toMatch(/subject/);
    expect(await rejection(provider().submit(s, signal()))).toMatchObject({ errorClass: 'rejected', code: 'unsupported' });
    expect(upstream.seen).toHaveLength(0);
  });
});

describe('kling provider: check', () => {
  it('GETs the task of its kind and reads the result', async () => {
    upstream.replies.push(
      ok({ task_id: 'a/b', task_status: 'succeed', task_status_msg: '', task_result: { videos: [{ id: 'v', url: 'https://cdn.example/v.mp4', duration: '5.042' }] }, final_unit_deduction: '3' }),
    );
    const state = await provider().check({ upstreamId: 'a/b', kind: 'image2video' }, signal());
    expect(upstream.seen[0]).toMatchObject({ method: 'GET', url: '/v1/videos/image2video/a%2Fb', body: '' });
    expect(state).toEqual({ state: 'succeeded', videos: [{ url: 'https://cdn.example/v.mp4', watermarkUrl: null, durationSeconds: 5.042 }], unitsCharged: 3 });
  });

  it('reads 1203 and a bare 404 as not_found', async () => {
    upstream.replies.push(kling(404, 1203, 'task does not exist'), json(404, {}));
    expect(await rejection(provider().check({ upstreamId: 'x', kind: 'text2video' }, signal()))).toMatchObject({ errorClass: 'not_found', code: '1203' });
    expect(await rejection(provider().check({ upstreamId: 'x', kind: 'text2video' }, signal()))).toMatchObject({ errorClass: 'not_found', code: 'http_404' });
  });
});

describe('kling provider: lookup by Reelay id', () => {
  const ref = { reelayId: 'rl_0042', kind: 'text2video' as const };

  it('finds the task submitted under the external id', async () => {
    upstream.replies.push(ok({ task_id: '8672', task_status: 'processing', task_info: { external_task_id: 'rl_0042' } }));
    await expect(lookupOf(provider())(ref, signal())).resolves.toEqual({ upstreamId: '8672' });
    expect(upstream.seen[0]?.url).toBe('/v1/videos/text2video/rl_0042');
  });

  it('says null only on a clear not-found', async () => {
    upstream.replies.push(kling(404, 1203, 'resource does not exist'), json(404, {}), kling(400, 1201, 'task not found'));
    for (let i = 0; i < 3; i++) await expect(lookupOf(provider())(ref, signal())).resolves.toBeNull();
  });

  it('throws on anything less clear, so the engine asks again instead of resubmitting', async () => {
    upstream.replies.push(kling(400, 1201, 'task_id is invalid'), kling(500, 5000, 'internal error'), (_res, req) => req.socket.destroy());
    expect(await rejection(lookupOf(provider())(ref, signal()))).toMatchObject({ errorClass: 'rejected', code: '1201' });
    expect(await rejection(lookupOf(provider())(ref, signal()))).toMatchObject({ errorClass: 'ambiguous', code: '5000' });
    expect(await rejection(lookupOf(provider())(ref, signal()))).toMatchObject({ errorClass: 'ambiguous' });
  });
});

describe('newapi protocol against a scripted stock new-api', () => {
  const newapi = () => provider({ protocol: 'newapi', auth: { kind: 'bearer', apiKey: 'sk-reseller-key' } });

  it('uses /kling/v1 paths and the API key verbatim', async () => {
    upstream.replies.push(json(200, { id: 'task_abc', task_id: 'task_abc', object: 'video', model: 'kling-v3', status: 'queued', progress: 0, created_at: 1 }));
    await expect(newapi().submit(submission(), signal())).resolves.toEqual({ upstreamId: 'task_abc' });
    expect(upstream.seen[0]).toMatchObject({ method: 'POST', url: '/kling/v1/videos/text2video' });
    expect(upstream.seen[0]?.headers.authorization).toBe('Bearer sk-reseller-key');
  });

  it("reads new-api's task record and its not-found", async () => {
    const record = { code: 'success', message: '', data: { task_id: 'task_abc', status: 'SUCCESS', result_url: 'https://cdn.example/o.mp4', progress: '100%', fail_reason: '' } };
    upstream.replies.push(json(200, record), json(400, { code: 'task_not_exist', message: 'task_not_exist', data: null }));
    await expect(newapi().check({ upstreamId: 'task_abc', kind: 'text2video' }, signal())).resolves.toMatchObject({ state: 'succeeded' });
    expect(upstream.seen[0]?.url).toBe('/kling/v1/videos/text2video/task_abc');
    expect(await rejection(newapi().check({ upstreamId: 'task_gone', kind: 'text2video' }, signal()))).toMatchObject({ errorClass: 'not_found', code: 'task_not_exist' });
  });

  it("does not take stock new-api's not-found as an answer to a lookup by external id", async () => {
    upstream.replies.push(json(400, { code: 'task_not_exist', message: 'task_not_exist', data: null }));
    expect(await rejection(lookupOf(newapi())({ reelayId: 'rl_1', kind: 'text2video' }, signal()))).toMatchObject({ errorClass: 'ambiguous', code: 'task_not_exist' });
  });

  it('does not take new-api shapes from the official API', async () => {
    upstream.replies.push(json(200, { id: 'task_abc', task_id: 'task_abc', object: 'video', status: 'queued' }));
    expect(await rejection(provider().submit(submission(), signal()))).toMatchObject({ errorClass: 'ambiguous', code: 'bad_answer' });
  });
});
