/** The `newapi` protocol against a second, real Reelay serving `/kling/v1` (its preview renders in seconds). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKlingProvider } from '../../src/providers/kling/kling-provider.ts';
import type { RemoteProvider, UpstreamState } from '../../src/providers/remote-provider.ts';
import { UpstreamError } from '../../src/providers/upstream-error.ts';
import { createUpstreamHttp, type UpstreamHttp } from '../../src/providers/upstream-http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { videoRequest } from '../support/video-request.ts';

let upstream: TestServer;
let http: UpstreamHttp;
let provider: RemoteProvider;

beforeAll(async () => {
  upstream = await startTestServer();
  const { key } = await upstream.createKey('downstream-reelay');
  http = createUpstreamHttp({ timeoutMs: 10_000, requestsPerSecond: 100 });
  provider = createKlingProvider({ name: 'reelay-b', baseUrl: upstream.url, auth: { kind: 'bearer', apiKey: key }, protocol: 'newapi' }, { http, now: Date.now });
});

afterAll(async () => {
  await http.close();
  await upstream.stop();
});

async function waitForEnd(upstreamId: string): Promise<UpstreamState> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await provider.check({ upstreamId, kind: 'text2video' }, AbortSignal.timeout(10_000));
    if (state.state !== 'pending') return state;
    if (Date.now() > deadline) throw new Error(`still ${state.phase} after 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('newapi protocol against another Reelay', () => {
  const reelayId = `rl_${randomUUID()}`;
  let upstreamId = '';

  it('submits, renders and serves an MP4', async () => {
    const request = videoRequest({ prompt: 'a paper boat on a puddle', duration: 3, tier: 'std', aspectRatio: '16:9' });
    ({ upstreamId } = await provider.submit({ reelayId, kind: 'text2video', request, upstreamModel: 'kling-v3', callbackUrl: null }, AbortSignal.timeout(10_000)));
    expect(upstreamId).toMatch(/^task_[0-9A-Za-z]{32}$/);

    const state = await waitForEnd(upstreamId);
    if (state.state !== 'succeeded') throw new Error(`the task ended ${state.state}: ${JSON.stringify(state)}`);
    expect(state.videos).toHaveLength(1);
    expect(state.videos[0]?.durationSeconds).toBeCloseTo(3, 0);

    const res = await fetch(state.videos[0]?.url ?? '');
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('finds the same task by the Reelay id sent as external_task_id', async () => {
    expect(upstreamId).not.toBe('');
    await expect(provider.lookup?.({ reelayId, kind: 'text2video' }, AbortSignal.timeout(10_000))).resolves.toEqual({ upstreamId });
  });

  it('says null for a Reelay id it never saw, and not_found for an unknown task', async () => {
    await expect(provider.lookup?.({ reelayId: `rl_${randomUUID()}`, kind: 'text2video' }, AbortSignal.timeout(10_000))).resolves.toBeNull();
    const e = await provider.check({ upstreamId: 'task_00000000000000000000000000000000', kind: 'text2video' }, AbortSignal.timeout(10_000)).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e).toMatchObject({ errorClass: 'not_found', code: '1203' });
  });
});
