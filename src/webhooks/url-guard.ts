/**
 * The one way Reelay fetches or posts to a URL a client gave it (image inputs, callbacks): https
 * only, public addresses only (checked on the address dialled, see guarded-agent.ts), no
 * redirects, a byte cap on the response and a deadline on the whole exchange. With
 * `allowPrivate` (REELAY_ALLOW_PRIVATE_URLS=true) plain http and private targets are allowed, for
 * local development and tests.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { createGuardedAgent, privateAddressError } from './guarded-agent.ts';
import { literalAddress, nonPublicRange } from './public-address.ts';
import { UrlGuardError, findUrlGuardError } from './url-guard-error.ts';

export type UrlGuardOptions = {
  allowPrivate: boolean;
  /** Largest response body accepted, in bytes. */
  maxBytes: number;
  /** Deadline for one whole exchange (connect, headers, body), in milliseconds. */
  timeoutMs: number;
};

export type GuardedRequest = {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The caller's own abort (shutdown, lost lease); an abort is rethrown as is, not as a refusal. */
  signal?: AbortSignal;
};

export type GuardedResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

export type UrlGuard = {
  /** Synchronous checks that need no network: URL syntax, scheme, IP-literal hostname. */
  check(url: string): URL;
  /** Any status but 3xx is returned (a 3xx is a refusal: redirects are not followed). */
  request(url: string, init?: GuardedRequest): Promise<GuardedResponse>;
  /** GET expecting a 2xx; the body as bytes. */
  fetchBuffer(url: string, init?: { signal?: AbortSignal }): Promise<Buffer>;
  /** GET expecting a 2xx; the body written to `file` (removed again on failure). Resolves to the byte count. */
  fetchToFile(url: string, file: string, init?: { signal?: AbortSignal }): Promise<number>;
  /** The guarded dispatcher, for callers that need undici directly. */
  dispatcher: Dispatcher;
  close(): Promise<void>;
};

const LOCATION_CHARS = 200;

/** Drops a body we will not read; the listener keeps undici's abort error from going uncaught. */
function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

export function describeBytes(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB` : `${bytes} bytes`;
}

export function createUrlGuard(options: UrlGuardOptions): UrlGuard {
  const { allowPrivate, maxBytes, timeoutMs } = options;
  const agent = createGuardedAgent({ allowPrivate, connectTimeoutMs: timeoutMs, ioTimeoutMs: timeoutMs });
  const tooLarge = () => new UrlGuardError('too_large', `response larger than ${describeBytes(maxBytes)}`);

  function check(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UrlGuardError('invalid_url', 'url is not an absolute URL');
    }
    const schemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(parsed.protocol)) {
      const allowed = allowPrivate ? 'http or https' : 'https';
      throw new UrlGuardError('scheme', `url must use ${allowed}, not ${parsed.protocol.replace(/:$/, '')}`);
    }
    const literal = literalAddress(parsed.hostname);
    const range = literal !== null && !allowPrivate ? nonPublicRange(literal) : null;
    if (literal !== null && range !== null) throw privateAddressError(literal, literal, range);
    return parsed;
  }

  /** Runs `work` under the deadline; turns undici's and the deadline's errors into refusals. */
  async function withDeadline<T>(signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      return await work(combined);
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      const refusal = findUrlGuardError(e);
      if (refusal) throw refusal;
      const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
      if (deadline.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new UrlGuardError('timeout', `no complete response within ${timeoutMs / 1000} s`, { cause: e });
      }
      const why = e instanceof Error ? e.message : String(e);
      throw new UrlGuardError('network', `could not fetch the url: ${why}${code && !why.includes(code) ? ` (${code})` : ''}`, { cause: e });
    }
  }

  async function open(url: URL, init: GuardedRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const response = await undiciRequest(url, {
      dispatcher: agent,
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal,
    });
    if (response.statusCode >= 300 && response.statusCode < 400) {
      discard(response.body);
      const location = String(response.headers['location'] ?? '').slice(0, LOCATION_CHARS);
      throw new UrlGuardError('redirect', `redirects are not followed (HTTP ${response.statusCode}${location ? ` to ${location}` : ''})`);
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      discard(response.body);
      throw tooLarge();
    }
    return response;
  }

  /** Counts bytes as they pass and fails the stream once the cap is crossed. */
  function byteCap(): Transform & { bytes: () => number } {
    let seen = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > maxBytes) return done(tooLarge());
        done(null, chunk);
      },
    });
    return Object.assign(cap, { bytes: () => seen });
  }

  async function readCapped(body: Readable): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const cap = byteCap();
    await pipeline(body, cap, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    });
    return Buffer.concat(chunks);
  }

  async function request(url: string, init: GuardedRequest = {}): Promise<GuardedResponse> {
    const parsed = check(url);
    return withDeadline(init.signal, async (signal) => {
      const response = await open(parsed, init, signal);
      const body = await readCapped(response.body);
      return { status: response.statusCode, headers: response.headers, body };
    });
  }

  function expectSuccess(response: Dispatcher.ResponseData): void {
    if (response.statusCode >= 200 && response.statusCode < 300) return;
    discard(response.body);
    throw new UrlGuardError('http_status', `the server answered HTTP ${response.statusCode}`);
  }

  async function fetchBuffer(url: string, init: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const parsed = check(url);
    return withDeadline(init.signal, async (signal) => {
      const response = await open(parsed, {}, signal);
      expectSuccess(response);
      return readCapped(response.body);
    });
  }

  async function fetchToFile(url: string, file: string, init: { signal?: AbortSignal } = {}): Promise<number> {
    const parsed = check(url);
    try {
      return await withDeadline(init.signal, async (signal) => {
        const response = await open(parsed, {}, signal);
        expectSuccess(response);
        const cap = byteCap();
        await pipeline(response.body, cap, createWriteStream(file));
        return cap.bytes();
      });
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
  }

  return { check, request, fetchBuffer, fetchToFile, dispatcher: agent, close: () => agent.close() };
}
