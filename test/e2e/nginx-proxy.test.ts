/**
 * docs/deployment.md, run: two Reelay instances on one PostgreSQL schema and one S3 bucket, with
 * the same master key and secret, behind a real nginx configured by the committed example
 * deploy/nginx.conf (only its addresses and log path replaced), and REELAY_PUBLIC_URL = nginx.
 * Through nginx: requests reach both instances, a create works, its event stream arrives event by
 * event while the task runs (not buffered to the end), and the video link, signed by one instance
 * and checked by either, redirects to the bucket and downloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgSchema, postgresUrl } from '../support/databases.ts';
import { freePort } from '../support/child-server.ts';
import { README_EXAMPLE } from '../support/kling-examples.ts';
import { findNginx, startNginx, type TestNginx } from '../support/nginx.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { signIn } from '../support/dashboard-client.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { sseItems } from '../support/sse.ts';

const nginxBin = findNginx();
const title = 'two Reelay instances behind nginx (deploy/nginx.conf)';
const skipReason = !nginxBin ? 'nginx is not installed' : !postgresUrl ? 'REELAY_TEST_DATABASE_URL is not set' : null;

/** `upstream=<addr>` of each access log line whose request line matches `request`. */
function upstreamsOf(log: string, request: RegExp): string[] {
  return log
    .split('\n')
    .filter((line) => request.test(line))
    .map((line) => /upstream=(\S+)/.exec(line)?.[1] ?? '');
}

describe.skipIf(skipReason !== null)(skipReason ? `${title}: SKIPPED, ${skipReason}` : title, () => {
  let s3: TestS3Server;
  let a: TestServer;
  let b: TestServer;
  let nginx: TestNginx;
  const masterKey = `rlm_nginx_test_${'k'.repeat(24)}`;
  const hostPort = (server: TestServer) => new URL(server.url).host;
  const viaNginx = (pathname: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${masterKey}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${nginx.url}${pathname}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  };

  beforeAll(async () => {
    s3 = await startS3Server();
    const { schema } = await createPgSchema(postgresUrl as string);
    const database = new URL(postgresUrl as string);
    database.searchParams.set('options', `-c search_path=${schema}`);
    const port = await freePort();
    // What every instance shares (docs/deployment.md); each still has its own data dir.
    const env = {
      DATABASE_URL: database.toString(),
      REELAY_MASTER_KEY: masterKey,
      REELAY_SECRET: 's'.repeat(48),
      REELAY_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...s3.env(),
    };
    a = await startTestServer({ env, configFile: { worker: { concurrency: 1 } } });
    b = await startTestServer({ env, configFile: { worker: { concurrency: 1 } } });
    nginx = await startNginx({ bin: nginxBin as string, upstreams: [hostPort(a), hostPort(b)], port });
  });
  afterAll(async () => {
    await nginx?.stop();
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await s3?.stop();
  });

  it('spreads requests over both instances, and both are live and ready', async () => {
    for (const route of ['/healthz', '/readyz', '/healthz', '/readyz']) {
      const res = await fetch(`${nginx.url}${route}`);
      expect(res.status, route).toBe(200);
      await res.arrayBuffer();
    }
    const served = upstreamsOf(nginx.accessLog(), /"GET \/(healthz|readyz) /);
    expect(served).toHaveLength(4);
    expect(new Set(served)).toEqual(new Set([hostPort(a), hostPort(b)]));
  });

  it('creates a task, streams its events as they happen, and serves its video, all through nginx', async () => {
    const created = await viaNginx('/v1/videos/text2video', { method: 'POST', json: { ...README_EXAMPLE, duration: '5' } });
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { code: number; data: { task_id: string } }).data.task_id;

    const stream = await viaNginx(`/v1/tasks/${id}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const seen: Array<{ event: string; at: number }> = [];
    const reading = (async () => {
      for await (const item of sseItems(stream)) if (item.kind === 'event') seen.push({ event: item.event, at: Date.now() });
    })();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([reading, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`stream still open; saw ${JSON.stringify(seen)}`)), 90_000)))]);
    } finally {
      clearTimeout(timer);
    }

    const row = await a.db.kysely.selectFrom('tasks').select(['status', 'started_at', 'finished_at']).where('public_id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('completed');
    const finishedAt = row.finished_at as number;
    const names = seen.map((s) => s.event);
    const timing = JSON.stringify({ startedAt: row.started_at, finishedAt, seen });
    // The stream opens with the task as it is then: queued, or already running.
    expect(['queued', 'running'], timing).toContain(names[0]);
    expect(names, timing).toContain('running');
    expect(names.at(-1), timing).toBe('completed');
    // Passed on as written: the first events reached the client while the task still ran (held
    // back, they would all arrive together after it completed; test/support/nginx.ts's main
    // config gzips event streams, which batches them unless the example's events location
    // streams them).
    expect(seen[0]?.at as number, timing).toBeLessThan(finishedAt);
    expect(seen.find((s) => s.event === 'running')?.at as number, timing).toBeLessThan(finishedAt);

    const task = await viaNginx(`/v1/videos/text2video/${id}`);
    const data = ((await task.json()) as { data: { task_status: string; task_result: { videos: Array<{ url: string }> } } }).data;
    expect(data.task_status).toBe('succeed');
    const link = data.task_result.videos[0]?.url as string;
    // REELAY_PUBLIC_URL: the link points at nginx, not at the instance that rendered it.
    expect(link.startsWith(`${nginx.url}/media/`)).toBe(true);

    // Twice, so each instance checks the link (one shared REELAY_SECRET): a 302 to the bucket.
    const before = upstreamsOf(nginx.accessLog(), /"GET \/media\//).length;
    for (let i = 0; i < 2; i += 1) {
      const res = await fetch(link, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = res.headers.get('location') as string;
      expect(location.startsWith(`${s3.endpoint}/${s3.bucket}/`)).toBe(true);
      const video = await fetch(location);
      expect(video.status).toBe(200);
      const bytes = Buffer.from(await video.arrayBuffer());
      expect(bytes.length).toBeGreaterThan(10_000);
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    }
    const mediaServers = upstreamsOf(nginx.accessLog(), /"GET \/media\//).slice(before);
    expect(new Set(mediaServers)).toEqual(new Set([hostPort(a), hostPort(b)]));
    expect(nginx.errorLog()).not.toMatch(/\[(error|crit|alert|emerg)\]/);
  });

  it('keeps a dashboard session on both instances and streams its live list through nginx', async () => {
    // Signed once; the cookie is checked by whichever instance nginx picks (one REELAY_SECRET).
    const client = await signIn(nginx.url, masterKey);
    const before = upstreamsOf(nginx.accessLog(), /"GET \/dashboard\/tasks /).length;
    for (let i = 0; i < 4; i += 1) expect((await client.get('/dashboard/tasks')).status).toBe(200);
    expect(new Set(upstreamsOf(nginx.accessLog(), /"GET \/dashboard\/tasks /).slice(before))).toEqual(new Set([hostPort(a), hostPort(b)]));

    const stream = await client.get('/dashboard/tasks/events');
    expect(stream.status).toBe(200);
    const created = await viaNginx('/v1/videos/text2video', { method: 'POST', json: { model_name: 'kling-v3', prompt: 'dashboard via nginx', duration: '3', mode: 'std', aspect_ratio: '1:1', sound: 'off' } });
    const id = ((await created.json()) as { data: { task_id: string } }).data.task_id;
    const seen: string[] = [];
    const timer = setTimeout(() => void stream.body?.cancel().catch(() => undefined), 60_000);
    try {
      for await (const item of sseItems(stream)) {
        if (item.kind !== 'event') continue;
        const row = JSON.parse(item.data) as { id: string; status: string };
        if (row.id !== id) continue;
        seen.push(row.status);
        if (row.status === 'completed') break;
      }
    } finally {
      clearTimeout(timer);
      await stream.body?.cancel().catch(() => undefined);
    }
    // The stream never ends by itself: a buffering proxy would have held these few small rows.
    expect(seen.at(-1), JSON.stringify(seen)).toBe('completed');
  });
});
