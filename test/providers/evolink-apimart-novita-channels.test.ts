/**
 * The three reseller channels against a second, real Reelay that serves their dialects with the
 * preview renderer: submit, poll, download, and every way the upstream says no. One server for
 * the three: they are the same Reelay, and one start is cheaper than three on 2 cores.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskKind } from '../../src/domain/task.ts';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import { createTaskRepository } from '../../src/store/task-repository.ts';
import { APIMART_DEFAULT_MODELS, createApimartProvider } from '../../src/providers/apimart/apimart-provider.ts';
import { EVOLINK_DEFAULT_MODELS, createEvolinkProvider } from '../../src/providers/evolink/evolink-provider.ts';
import { NOVITA_DEFAULT_MODELS, createNovitaProvider } from '../../src/providers/novita/novita-provider.ts';
import type { RemoteProvider, UpstreamState, UpstreamSubmission } from '../../src/providers/remote-provider.ts';
import type { ResellerOptions } from '../../src/providers/reseller-shared.ts';
import { UpstreamError } from '../../src/providers/upstream-error.ts';
import { createUpstreamHttp, type UpstreamHttp } from '../../src/providers/upstream-http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { tempDir } from '../support/temp-dir.ts';
import { videoRequest } from '../support/video-request.ts';

type Channel = {
  protocol: string;
  create(options: ResellerOptions, deps: { http: UpstreamHttp }): RemoteProvider;
  models: Readonly<Record<string, string>>;
  /** An id in the dialect's own format that no task has. */
  unknownId: string;
};

const CHANNELS: Channel[] = [
  { protocol: 'evolink', create: createEvolinkProvider, models: EVOLINK_DEFAULT_MODELS, unknownId: 'task-unified-1757169743-7cvnl5zw' },
  { protocol: 'apimart', create: createApimartProvider, models: APIMART_DEFAULT_MODELS, unknownId: 'task_01K8SGYNNNVBQTXNR4MM964S7K' },
  { protocol: 'novita', create: createNovitaProvider, models: NOVITA_DEFAULT_MODELS, unknownId: randomUUID() },
];

const SMALL = videoRequest({ prompt: 'a red kite over a green hill', duration: 3, tier: 'std', aspectRatio: '16:9' });
const SHOTS = videoRequest({
  prompt: '',
  duration: 3,
  multiShot: 'customize',
  shots: [
    { index: 1, prompt: 'a door opens', duration: 1 },
    { index: 2, prompt: 'a dog runs in', duration: 2 },
  ],
});

let server: TestServer;
let apiKey: string;
let keyId: string;
const http = createUpstreamHttp({ timeoutMs: 10_000, requestsPerSecond: 1000 });
const files = tempDir('reelay-reseller-');

beforeAll(async () => {
  server = await startTestServer();
  ({ key: apiKey, id: keyId } = await server.createKey('reseller'));
});
afterAll(async () => {
  await http.close();
  await server?.stop();
  files.remove();
});

function submission(channel: Channel, request: VideoRequest, kind: TaskKind = 'text2video'): UpstreamSubmission {
  const upstreamModel = channel.models[request.model] ?? request.model;
  return { reelayId: `t_${randomUUID()}`, kind, request, upstreamModel, callbackUrl: null };
}

async function failure(call: Promise<unknown>): Promise<UpstreamError> {
  const e = await call.then(
    () => null,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(UpstreamError);
  return e as UpstreamError;
}

/** Submits, checks every 200 ms until the task ends, and returns every state seen. */
async function render(provider: RemoteProvider, sub: UpstreamSubmission): Promise<{ upstreamId: string; states: UpstreamState[] }> {
  const signal = AbortSignal.timeout(50_000);
  const { upstreamId } = await provider.submit(sub, signal);
  const states: UpstreamState[] = [];
  for (;;) {
    const state = await provider.check({ upstreamId, kind: sub.kind }, signal);
    states.push(state);
    if (state.state !== 'pending') return { upstreamId, states };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The request the serving Reelay stored for the task: what it read from the body the channel sent. */
async function storedRequest(upstreamId: string): Promise<VideoRequest | undefined> {
  return (await createTaskRepository(server.db.kysely, server.db.kind).findOwned(keyId, upstreamId))?.request;
}

/** The finished video's bytes, downloaded from the link the channel handed back. */
async function download(states: UpstreamState[]): Promise<Buffer> {
  const last = states.at(-1);
  if (last?.state !== 'succeeded') throw new Error(`the task ended ${JSON.stringify(last)}`);
  expect(last.videos).toHaveLength(1);
  expect(last.videos[0]).toMatchObject({ watermarkUrl: null, durationSeconds: null });
  const res = await fetch(last.videos[0]?.url ?? '');
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function secondsOf(video: Buffer): Promise<number> {
  const file = path.join(files.dir, `${randomUUID()}.mp4`);
  writeFileSync(file, video);
  return (await probeVideo(server.ffmpeg.ffprobe, file)).durationSeconds;
}

describe.each(CHANNELS)('the $protocol channel against a Reelay serving $protocol', (channel) => {
  const provider = (key = apiKey) => channel.create({ name: `${channel.protocol}-test`, baseUrl: server.url, apiKey: key }, { http });

  it('renders a small text-to-video and hands back a link to an MP4', async () => {
    expect(provider().protocol).toBe(channel.protocol);
    expect(provider().unsupported(SMALL, 'text2video')).toBeNull();
    const { upstreamId, states } = await render(provider(), submission(channel, SMALL));
    for (const s of states.slice(0, -1)) expect(s.state).toBe('pending');
    const video = await download(states);
    expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(await storedRequest(upstreamId)).toEqual(SMALL);
  });

  it('sends customized shots that render as one clip lasting their total', async () => {
    expect(provider().unsupported(SHOTS, 'text2video')).toBeNull();
    const { upstreamId, states } = await render(provider(), submission(channel, SHOTS));
    expect(await secondsOf(await download(states))).toBeCloseTo(3, 0);
    expect(await storedRequest(upstreamId)).toMatchObject({ multiShot: 'customize', shots: SHOTS.shots, duration: 3 });
  });

  it('turns a request the upstream refuses into a rejected error naming the field', async () => {
    const e = await failure(provider().submit(submission(channel, { ...SMALL, prompt: 'x'.repeat(3000) }), AbortSignal.timeout(10_000)));
    expect(e).toMatchObject({ errorClass: 'rejected', httpStatus: 400 });
    expect(e.message).toMatch(/^prompt must be at most 2500 characters/);
  });

  it('turns a wrong api key into a channel error, on submit and on check', async () => {
    const wrong = provider('sk-not-a-key');
    expect(await failure(wrong.submit(submission(channel, SMALL), AbortSignal.timeout(10_000)))).toMatchObject({ errorClass: 'channel', httpStatus: 401 });
    expect(await failure(wrong.check({ upstreamId: channel.unknownId, kind: 'text2video' }, AbortSignal.timeout(10_000)))).toMatchObject({ errorClass: 'channel' });
  });

  it('answers a query for an id the upstream does not have with not_found', async () => {
    const e = await failure(provider().check({ upstreamId: channel.unknownId, kind: 'text2video' }, AbortSignal.timeout(10_000)));
    expect(e).toMatchObject({ errorClass: 'not_found', httpStatus: 404 });
  });

  it("treats a model the upstream does not know as the channel's misconfiguration, not the request's fault", async () => {
    const sub = { ...submission(channel, SMALL), upstreamModel: 'kling-v9' };
    const e = await failure(provider().submit(sub, AbortSignal.timeout(10_000)));
    expect(e.errorClass).toBe('channel');
  });
});

describe('the evolink channel with the turbo model', () => {
  it('writes customized shots as shot syntax in the prompt, and the clip lasts their total', async () => {
    const channel = CHANNELS[0] as Channel;
    const provider = channel.create({ name: 'evolink-turbo', baseUrl: server.url, apiKey }, { http });
    const turbo = { ...SHOTS, model: 'kling-v3-turbo', prompt: 'cinematic, warm light' };
    expect(provider.unsupported(turbo, 'text2video')).toBeNull();
    const { upstreamId, states } = await render(provider, submission(channel, turbo));
    expect(await secondsOf(await download(states))).toBeCloseTo(3, 0);
    expect(await storedRequest(upstreamId)).toMatchObject({ model: 'kling-v3-turbo', prompt: turbo.prompt, multiShot: 'customize', shots: SHOTS.shots });
  });
});
