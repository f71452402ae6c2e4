/**
 * What the JSON log says about requests and tasks: every request line carries its request id
 * (the one the client sees in an error body), task lines carry the task id, delivery lines the
 * task id too, and an upstream callback's token (a credential in the path) is never written.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { tempDir } from '../support/temp-dir.ts';

type Line = Record<string, unknown> & { msg: string };

describe('request and task ids in the log', () => {
  const tmp = tempDir('reelay-request-logs-');
  const lines: Line[] = [];
  let server: RunningServer;
  let receiver: Receiver;
  let key: string;
  const api = (pathname: string, init: RequestInit & { key?: string; json?: unknown } = {}) => {
    const { key: k = server.secrets.masterKey, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${k}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${server.url}${pathname}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString('utf8').split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', REELAY_DATA_DIR: tmp.dir, REELAY_ALLOW_PRIVATE_URLS: 'true', LOG_LEVEL: 'debug' });
    server = await startServer(config, pino({ level: 'debug' }, sink));
    const res = await api('/admin/keys', { method: 'POST', json: { name: 'logs' } });
    key = ((await res.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    tmp.remove();
  });

  it('writes the request id of every request, the one an error body names', async () => {
    const res = await api('/no/such/route', { key });
    expect(res.status).toBe(404);
    const requestId = ((await res.json()) as { error: { request_id: string } }).error.request_id;
    await new Promise((r) => setTimeout(r, 50));
    const line = lines.find((l) => l.msg === 'request' && l.requestId === requestId);
    expect(line).toMatchObject({ method: 'GET', path: '/no/such/route', status: 404 });
    for (const l of lines.filter((x) => x.msg === 'request')) expect(typeof l.requestId).toBe('string');
  });

  it('never writes the token of an upstream callback address', async () => {
    const token = 'Zq8sKsecretcallbacktoken0123456789';
    const res = await api(`/callbacks/upstream/some-task/${token}`, { method: 'POST', json: {} });
    expect(res.status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(lines.find((l) => l.msg === 'request' && l.path === '/callbacks/upstream/some-task/[Redacted]')).toBeDefined();
  });

  it('writes the task id on the lines of a failed task and of its failed deliveries', async () => {
    receiver.respond('/down', () => 500);
    // Port 1 refuses the connection: the render cannot load its image and the task fails.
    const res = await api('/v1/videos/image2video', { method: 'POST', key, json: { model_name: 'kling-v3', image: 'http://127.0.0.1:1/frame.png', duration: '3', callback_url: receiver.url('/down') } });
    expect(res.status).toBe(200);
    const publicId = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const row = await server.db.kysely.selectFrom('tasks').select('id').where('public_id', '=', publicId).executeTakeFirstOrThrow();
    const deadline = Date.now() + 60_000;
    while (!(lines.some((l) => l.msg === 'task failed') && lines.some((l) => l.msg === 'delivery attempt failed'))) {
      if (Date.now() > deadline) throw new Error(`no task or delivery failure logged: ${JSON.stringify(lines.map((l) => l.msg))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(lines.find((l) => l.msg === 'task failed')).toMatchObject({ taskId: row.id });
    expect(lines.find((l) => l.msg === 'delivery attempt failed')).toMatchObject({ taskId: row.id });
  });
});
