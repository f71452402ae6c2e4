/**
 * The JSON HTTP client every remote provider uses toward its channel: the channel's pacing
 * (requests per second), a deadline per call, and transport failures turned into UpstreamError.
 * A timeout or a reset is `ambiguous`: the upstream may have acted on the request. The base URL
 * is the operator's, so these calls do not pass the client URL guard.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { createRequestPacer, type RequestPacer } from './request-pacer.ts';
import { UpstreamError } from './upstream-error.ts';

export type UpstreamHttpOptions = {
  timeoutMs: number;
  requestsPerSecond: number;
  /** Paces the calls instead of an in-process pacer at `requestsPerSecond` (e.g. one shared by every instance). */
  pacer?: RequestPacer;
  /** Largest response body read, in bytes (JSON answers are small; this guards against a broken upstream). */
  maxBodyBytes?: number;
  /** Told of every call that was sent (after pacing): how it ended and how long it took (metrics). */
  observe?: (call: UpstreamCall) => void;
};

/**
 * How one call ended, at the transport level: `ok` is any 2xx (an upstream may still answer an
 * error code inside it); another status by its class; `unreachable` when no connection was made;
 * `aborted` when the caller gave up (shutdown, lost lease), not the upstream.
 */
export type UpstreamCallOutcome = 'ok' | '1xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'unreachable' | 'network' | 'too_large' | 'aborted';
export type UpstreamCall = { outcome: UpstreamCallOutcome; seconds: number };

export type UpstreamRequest = {
  headers?: Record<string, string>;
  /** Sent as JSON with Content-Type: application/json. */
  json?: unknown;
  signal?: AbortSignal;
};

export type UpstreamResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body, or undefined when it was empty or not JSON. */
  json: unknown;
  text: string;
};

export type UpstreamHttp = {
  request(method: 'GET' | 'POST' | 'DELETE', url: string, init?: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
};

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
/** Errors raised before a connection exists: the request cannot have reached the upstream. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** A 2xx is `ok`; other statuses by their class (an upstream answering 600+ counts as 5xx). */
function statusOutcome(status: number): UpstreamCallOutcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status < 200) return '1xx';
  if (status < 400) return '3xx';
  return status < 500 ? '4xx' : '5xx';
}

export function createUpstreamHttp(options: UpstreamHttpOptions): UpstreamHttp {
  const pacer = options.pacer ?? createRequestPacer(options.requestsPerSecond);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const agent = new Agent({ connectTimeout: options.timeoutMs, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, keepAliveTimeout: 30_000 });

  async function readBody(body: Dispatcher.ResponseData['body']): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBody) {
        body.destroy();
        throw new UpstreamError('ambiguous', 'body_too_large', `the upstream answered more than ${maxBody} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  return {
    async request(method, url, init = {}) {
      await pacer.take(init.signal);
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
      const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
      let payload: string | undefined;
      if (init.json !== undefined) {
        payload = JSON.stringify(init.json);
        headers['content-type'] = 'application/json';
      }
      const started = performance.now();
      const observed = (outcome: UpstreamCallOutcome) => {
        try {
          options.observe?.({ outcome, seconds: (performance.now() - started) / 1000 });
        } catch {
          // Counting a call must never turn its answer into a failure.
        }
      };
      try {
        const response = await request(url, { dispatcher: agent, method, headers, signal, ...(payload !== undefined ? { body: payload } : {}) });
        const text = await readBody(response.body);
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        observed(statusOutcome(response.statusCode));
        return { status: response.statusCode, headers: response.headers, json, text };
      } catch (e) {
        if (init.signal?.aborted) {
          observed('aborted');
          throw init.signal.reason ?? e;
        }
        if (e instanceof UpstreamError) {
          observed('too_large');
          throw e;
        }
        const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
        const why = e instanceof Error ? e.message : String(e);
        // No connection was made, so nothing was sent: the channel is unreachable, not "maybe accepted".
        if (NOT_CONNECTED.has(code)) {
          observed('unreachable');
          throw new UpstreamError('channel', code, `cannot reach the upstream: ${why}`, { cause: e });
        }
        if (deadline.aborted || code.includes('TIMEOUT')) {
          observed('timeout');
          throw new UpstreamError('ambiguous', 'timeout', `no answer from the upstream within ${options.timeoutMs / 1000} s`, { cause: e });
        }
        observed('network');
        throw new UpstreamError('ambiguous', code || 'network', `the upstream connection failed: ${why}`, { cause: e });
      }
    },
    close: () => agent.close(),
  };
}

/** Milliseconds from a Retry-After header (seconds or an HTTP date), or null. */
export function retryAfterMs(headers: UpstreamResponse['headers'], now: number = Date.now()): number | null {
  const raw = headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
