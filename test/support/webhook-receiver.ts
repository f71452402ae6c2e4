/** A real webhook receiver on 127.0.0.1 that records every request and answers as a test tells it. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type CreatedKey, type TestServer } from './server.ts';

export type Received = { path: string; headers: Record<string, string>; body: string; at: number };

/** What to answer the n-th (1-based) request on a path: a status, a redirect, or no answer at all. */
export type Answer = number | { status: number; location: string } | 'hang';
export type Responder = (request: Received, n: number) => Answer;

export type Receiver = {
  url(pathname: string): string;
  /** Every request so far, in arrival order. */
  readonly received: Received[];
  /** Requests on `pathname` so far. */
  on(pathname: string): Received[];
  /** Answers requests on `pathname` with `responder` (default: 200). */
  respond(pathname: string, responder: Responder): void;
  /** Resolves once `pathname` has `count` requests (or fails after `timeoutMs`). */
  waitFor(pathname: string, count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
};

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const responders = new Map<string, Responder>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const request: Received = { path, headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(request);
      const answer = (responders.get(path) ?? (() => 200))(request, received.filter((r) => r.path === path).length);
      if (answer === 'hang') return void hanging.add(res);
      if (typeof answer === 'number') {
        res.writeHead(answer, { 'content-type': 'text/plain' });
        return void res.end(answer < 300 ? 'ok' : 'not ok');
      }
      res.writeHead(answer.status, { location: answer.location });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const on = (pathname: string) => received.filter((r) => r.path === pathname);
  return {
    url: (pathname) => `http://127.0.0.1:${port}${pathname}`,
    received,
    on,
    respond: (pathname, responder) => void responders.set(pathname, responder),
    async waitFor(pathname, count, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (on(pathname).length < count) {
        if (Date.now() > deadline) throw new Error(`${pathname} got ${on(pathname).length} of ${count} requests in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return on(pathname);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a webhook suite gets: a real Reelay, a receiver on 127.0.0.1, and an API key. */
export type WebhookSuite = { server: TestServer; receiver: Receiver; key: CreatedKey };

/**
 * Starts a server, a receiver and a key before the calling suite (onStart receives them) and
 * stops them after. Private targets (the receiver's 127.0.0.1) are allowed unless
 * `allowPrivate` is false, as REELAY_ALLOW_PRIVATE_URLS allows them in development.
 */
export function webhookSuite(onStart: (suite: WebhookSuite) => void, options: { allowPrivate?: boolean } = {}): void {
  let server: TestServer | undefined;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    receiver = await startReceiver();
    const env: Record<string, string> = options.allowPrivate === false ? {} : { REELAY_ALLOW_PRIVATE_URLS: 'true' };
    server = await startTestServer({ env, configFile: { worker: { concurrency: 2 } } });
    onStart({ server, receiver, key: await server.createKey('hooks') });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });
}
