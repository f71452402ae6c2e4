/** A real Reelay on 127.0.0.1 (an ephemeral port, a temp data dir), and a small client for it. */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createPgSchema } from './databases.ts';
import { tempDir } from './temp-dir.ts';

export type CreatedKey = { id: string; name: string; key: string; access_key: string; secret_key: string; webhook_secret: string };

export type TestServer = RunningServer & {
  dataDir: string;
  masterKey: string;
  /** fetch relative to the server, with the master key unless `key` is given ('' = none). */
  api(pathname: string, init?: RequestInit & { key?: string; json?: unknown }): Promise<Response>;
  createKey(name?: string): Promise<CreatedKey>;
  stop(): Promise<void>;
};

export async function startTestServer(options: { env?: Record<string, string>; configFile?: object } = {}): Promise<TestServer> {
  const tmp = tempDir('reelay-server-');
  const env: Record<string, string> = { HOST: '127.0.0.1', PORT: '0', REELAY_DATA_DIR: tmp.dir, LOG_LEVEL: 'silent', ...options.env };
  if (options.configFile) {
    const file = path.join(tmp.dir, 'config.json');
    writeFileSync(file, JSON.stringify(options.configFile));
    env.REELAY_CONFIG = file;
  }
  const server = await startServer(loadConfig(env));
  const masterKey = server.secrets.masterKey;
  const api: TestServer['api'] = (pathname, init = {}) => {
    const { key = masterKey, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${server.url}${pathname}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  };
  return {
    ...server,
    dataDir: env.REELAY_DATA_DIR as string,
    masterKey,
    api,
    async createKey(name = 'test') {
      const res = await api('/admin/keys', { method: 'POST', json: { name } });
      if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as CreatedKey;
    },
    async stop() {
      await server.close();
      tmp.remove();
      rmSync(env.REELAY_DATA_DIR as string, { recursive: true, force: true });
    },
  };
}

/** What a route suite gets: the server, tenant a's key, and tenant b's (bare and in full). */
export type RouteSuite = { server: TestServer; key: string; other: string; otherKey: CreatedKey };

/**
 * A server for a suite of route tests, with the keys of two tenants, `a` and `b`: started before
 * the suite (onStart receives them), stopped after. One render at a time: no worker progress
 * matters to route tests, and a tiny concurrency keeps renders from crowding them; `stopWorker`
 * stops even that, for suites that never wait for a video.
 */
export function routeTestServer(onStart: (suite: RouteSuite) => void, options: { stopWorker?: boolean } = {}): void {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    if (options.stopWorker) await server.worker.stop();
    const key = (await server.createKey('a')).key;
    const otherKey = await server.createKey('b');
    onStart({ server, key, other: otherKey.key, otherKey });
  });
  afterAll(async () => server?.stop());
}

/** A server on a fresh schema of the PostgreSQL at `url` (one render at a time); stop() drops the schema too. */
export async function startPostgresTestServer(url: string, options: { env?: Record<string, string> } = {}): Promise<TestServer> {
  const pg = await createPgSchema(url);
  const database = new URL(url);
  database.searchParams.set('options', `-c search_path=${pg.schema}`);
  const server = await startTestServer({ env: { ...options.env, DATABASE_URL: database.toString() }, configFile: { worker: { concurrency: 1 } } });
  return {
    ...server,
    async stop() {
      await server.stop();
      await pg.drop();
    },
  };
}

/** Polls a Kling-dialect task until it is terminal (or the time runs out). */
export async function waitForKlingTask(
  server: TestServer,
  route: string,
  key: string,
  timeoutMs = 90_000,
): Promise<Record<string, unknown> & { task_status: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await server.api(route, { key });
    const body = (await res.json()) as { data: Record<string, unknown> & { task_status: string } };
    if (body.data.task_status === 'succeed' || body.data.task_status === 'failed') return body.data;
    if (Date.now() > deadline) throw new Error(`task still ${body.data.task_status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
