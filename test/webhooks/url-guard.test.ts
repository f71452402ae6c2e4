import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publicOnlyLookup } from '../../src/webhooks/guarded-agent.ts';
import { nonPublicRange } from '../../src/webhooks/public-address.ts';
import { UrlGuardError, findUrlGuardError } from '../../src/webhooks/url-guard-error.ts';
import { createUrlGuard, type UrlGuard } from '../../src/webhooks/url-guard.ts';
import { tempDir } from '../support/temp-dir.ts';

const MiB = 1024 * 1024;

/** A real HTTP server on 127.0.0.1 that counts the TCP connections it accepts. */
async function startCountingServer(host = '127.0.0.1'): Promise<{ server: http.Server; port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/ok') return void res.end('hello');
    if (url === '/redirect') {
      res.writeHead(302, { location: 'http://10.0.0.1/secret' });
      return void res.end();
    }
    if (url === '/missing') {
      res.writeHead(404);
      return void res.end('no');
    }
    if (url === '/declared-big') {
      res.writeHead(200, { 'content-length': String(MiB + 1) });
      return void res.end(Buffer.alloc(MiB + 1));
    }
    if (url === '/chunked-big') {
      // No content-length: the cap has to count the bytes as they arrive.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < 20; i++) res.write(Buffer.alloc(128 * 1024));
      return void res.end();
    }
    if (url === '/slow-headers') return; // never answers
    if (url === '/slow-body') {
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345'); // and never the rest
      return;
    }
    if (url === '/echo' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(500);
        res.end(Buffer.concat(chunks));
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  server.on('connection', () => void (connections += 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function refusal(promise: Promise<unknown>): Promise<UrlGuardError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(UrlGuardError);
    return e as UrlGuardError;
  }
  throw new Error('expected a refusal');
}

function syncRefusal(fn: () => unknown): UrlGuardError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UrlGuardError);
    return e as UrlGuardError;
  }
  throw new Error('expected a refusal');
}

describe('nonPublicRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private network'],
    ['172.16.5.4', 'private network'],
    ['192.168.1.1', 'private network'],
    ['100.64.0.1', 'carrier-grade NAT 100.64.0.0/10'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private network'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::a00:1', 'NAT64'],
    // ipaddr.js reads the dotted form as IPv4-mapped; the WHATWG URL parser writes it ::7f00:1.
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'IPv4-compatible'],
    ['2002:7f00:1::', '6to4'],
    ['[::1]', 'loopback'],
    ['localhost', 'not an IP address'],
  ])('refuses %s as %s', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('lets the public address %s through', (address) => {
    expect(nonPublicRange(address)).toBeNull();
  });
});

describe('publicOnlyLookup', () => {
  it('refuses a name that resolves to 127.0.0.1, naming the address', async () => {
    const error = await new Promise<unknown>((resolve) => publicOnlyLookup('localhost', { all: true }, (err) => resolve(err)));
    expect(error).toBeInstanceOf(UrlGuardError);
    expect((error as UrlGuardError).message).toMatch(/^url host localhost resolves to a private address (127\.0\.0\.1|::1) \(loopback\)/);
  });
});

describe('the URL guard with private targets refused (the default)', () => {
  let target: Awaited<ReturnType<typeof startCountingServer>>;
  /** The same on ::1, where the machine has IPv6 loopback (null otherwise). */
  let target6: Awaited<ReturnType<typeof startCountingServer>> | null = null;
  let guard: UrlGuard;

  beforeAll(async () => {
    target = await startCountingServer();
    target6 = await startCountingServer('::1').catch(() => null);
    guard = createUrlGuard({ allowPrivate: false, maxBytes: MiB, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await guard.close();
    await target.close();
    await target6?.close();
  });
  const connections = () => target.connections() + (target6?.connections() ?? 0);
  beforeEach(() => expect(connections()).toBe(0));

  it('refuses plain http, even to a public host, without any network', () => {
    const e = syncRefusal(() => guard.check('http://example.com/a.png'));
    expect(e.refusal).toBe('scheme');
    expect(e.message).toBe('url must use https, not http');
  });

  it('refuses http://127.0.0.1 and never connects', async () => {
    const e = await refusal(guard.fetchBuffer(`http://127.0.0.1:${target.port}/ok`));
    expect(e.refusal).toBe('scheme');
  });

  it.each([
    ['https://127.0.0.1:{port}/ok', '127.0.0.1', 'loopback'],
    ['https://[::1]:{port}/ok', '::1', 'loopback'],
    ['https://[::ffff:127.0.0.1]:{port}/ok', '::ffff:7f00:1', 'loopback'],
    ['https://0x7f.1:{port}/ok', '127.0.0.1', 'loopback'],
    ['https://2130706433:{port}/ok', '127.0.0.1', 'loopback'],
  ])('refuses the IP literal %s before connecting', async (template, address, range) => {
    const port = template.includes('[::1]') && target6 ? target6.port : target.port;
    const url = template.replace('{port}', String(port));
    const e = await refusal(guard.fetchBuffer(url));
    expect(e.refusal).toBe('private_address');
    expect(e.message).toBe(`url points to a private address ${address} (${range}); only public addresses may be fetched`);
    expect(connections()).toBe(0);
  });

  it.each([
    ['https://10.0.0.1/a.png', '10.0.0.1 (private network)'],
    ['https://100.64.0.1/a.png', '100.64.0.1 (carrier-grade NAT 100.64.0.0/10)'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254 (link-local)'],
    ['https://[fd00::1]/a.png', 'fd00::1 (unique-local)'],
    ['https://[::ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe (link-local)'],
  ])('refuses %s in the synchronous check (no packet is sent)', (url, named) => {
    const e = syncRefusal(() => guard.check(url));
    expect(e.refusal).toBe('private_address');
    expect(e.message).toContain(`url points to a private address ${named}`);
  });

  it('refuses a hostname that resolves to 127.0.0.1 (localhost) at connect time, before any TCP connection', async () => {
    // The synchronous check cannot know where a name points: it passes, and the dial is refused.
    expect(guard.check(`https://localhost:${target.port}/ok`).hostname).toBe('localhost');
    const e = await refusal(guard.fetchBuffer(`https://localhost:${target.port}/ok`));
    expect(e.refusal).toBe('private_address');
    expect(e.message).toMatch(/^url host localhost resolves to a private address (127\.0\.0\.1|::1) \(loopback\)/);
    expect(connections()).toBe(0);
  });

  it('guards its dispatcher itself, for callers that skip check(): literal and resolved loopback are both refused', async () => {
    for (const url of [`http://127.0.0.1:${target.port}/ok`, `http://localhost:${target.port}/ok`, `http://[::ffff:127.0.0.1]:${target.port}/ok`]) {
      const error = await undiciRequest(url, { dispatcher: guard.dispatcher }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(findUrlGuardError(error)?.refusal).toBe('private_address');
    }
    expect(connections()).toBe(0);
  });

  it('refuses what is not an absolute URL, or not http(s)', () => {
    expect(syncRefusal(() => guard.check('not a url')).refusal).toBe('invalid_url');
    expect(syncRefusal(() => guard.check('file:///etc/passwd')).message).toBe('url must use https, not file');
    expect(syncRefusal(() => guard.check('ftp://example.com/a.png')).refusal).toBe('scheme');
  });
});

describe('the URL guard with private targets allowed (REELAY_ALLOW_PRIVATE_URLS=true)', () => {
  let target: Awaited<ReturnType<typeof startCountingServer>>;
  let guard: UrlGuard;
  const tmp = tempDir('reelay-guard-');

  beforeAll(async () => {
    target = await startCountingServer();
    guard = createUrlGuard({ allowPrivate: true, maxBytes: MiB, timeoutMs: 500 });
  });
  afterAll(async () => {
    await guard.close();
    await target.close();
    tmp.remove();
  });
  const url = (p: string) => `http://127.0.0.1:${target.port}${p}`;

  it('fetches plain http from 127.0.0.1 as bytes and into a file', async () => {
    expect((await guard.fetchBuffer(url('/ok'))).toString()).toBe('hello');
    const file = path.join(tmp.dir, 'ok.bin');
    expect(await guard.fetchToFile(url('/ok'), file)).toBe(5);
    expect(readFileSync(file, 'utf8')).toBe('hello');
    expect(target.connections()).toBeGreaterThan(0);
  });

  it('does not follow a 302, even to an allowed target', async () => {
    const e = await refusal(guard.fetchBuffer(url('/redirect')));
    expect(e.refusal).toBe('redirect');
    expect(e.message).toBe('redirects are not followed (HTTP 302 to http://10.0.0.1/secret)');
  });

  it('refuses a body whose declared length is over the cap', async () => {
    const e = await refusal(guard.fetchBuffer(url('/declared-big')));
    expect(e.refusal).toBe('too_large');
    expect(e.message).toBe('response larger than 1 MiB');
  });

  it('stops reading a chunked body once it passes the cap, and removes the partial file', async () => {
    const file = path.join(tmp.dir, 'big.bin');
    const e = await refusal(guard.fetchToFile(url('/chunked-big'), file));
    expect(e.message).toBe('response larger than 1 MiB');
    expect(existsSync(file)).toBe(false);
    expect((await refusal(guard.fetchBuffer(url('/chunked-big')))).refusal).toBe('too_large');
  });

  it('gives up on a server that never answers, and on one that stalls mid-body', async () => {
    for (const p of ['/slow-headers', '/slow-body']) {
      const started = Date.now();
      const e = await refusal(guard.fetchBuffer(url(p)));
      expect(e.refusal).toBe('timeout');
      expect(e.message).toBe('no complete response within 0.5 s');
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it('reports an HTTP error status from fetchBuffer, but returns it from request()', async () => {
    const e = await refusal(guard.fetchBuffer(url('/missing')));
    expect(e).toMatchObject({ refusal: 'http_status', message: 'the server answered HTTP 404' });
    const res = await guard.request(url('/echo'), { method: 'POST', body: 'ping', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(500);
    expect(res.body.toString()).toBe('ping');
  });

  it('reports a refused connection as a network failure', async () => {
    const closed = await startCountingServer();
    const port = closed.port;
    await closed.close();
    const e = await refusal(guard.fetchBuffer(`http://127.0.0.1:${port}/ok`));
    expect(e.refusal).toBe('network');
    expect(e.message).toMatch(/^could not fetch the url: .*ECONNREFUSED/);
  });

  it("rethrows the caller's abort as is", async () => {
    const controller = new AbortController();
    const pending = guard.fetchBuffer(url('/slow-headers'), { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toThrow('shutting down');
  });
});
