/**
 * What the three reseller channels (EvoLink, APIMart, Novita) do alike: a Bearer key, one JSON
 * client, error bodies that repeat the HTTP status next to a word (`type` or `reason`), and task
 * states that differ only in their words. Each provider keeps its own wire types and bodies;
 * of the dialects' words this file knows only the error words and EvoLink's status words.
 */
import { z } from 'zod';
import type { TaskKind } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';
import type { RemoteProvider, UpstreamState, UpstreamSubmission, UpstreamVideo } from './remote-provider.ts';
import { UpstreamError, classOfHttpStatus, type UpstreamErrorClass } from './upstream-error.ts';
import { retryAfterMs, type UpstreamHttp, type UpstreamResponse } from './upstream-http.ts';

/** Which call an answer belongs to: a 404 means something else on each. */
export type CallPhase = 'submit' | 'check';

/** How every reseller channel is configured. */
export type ResellerOptions = { name: string; baseUrl: string; apiKey: string };

/** What sets one reseller dialect apart: its paths, its bodies and how it words a task. */
export type ResellerDialect<Created, Task> = {
  protocol: string;
  unsupported(request: VideoRequest, kind: TaskKind): string | null;
  /** The create call: a path under the base URL and the JSON body. */
  create(submission: UpstreamSubmission): { path: string; body: unknown };
  created: z.ZodType<Created>;
  upstreamIdOf(answer: Created): string;
  /** The query path (with its query string) for an upstream task id. */
  taskPath(upstreamId: string): string;
  task: z.ZodType<Task>;
  stateOf(answer: Task): UpstreamState;
};

/**
 * A RemoteProvider for a reseller dialect. None of the three has a lookup by the client's id,
 * so there is no `lookup`: after an ambiguous create the engine does not submit again.
 */
export function createResellerProvider<Created, Task>(
  dialect: ResellerDialect<Created, Task>,
  options: ResellerOptions,
  deps: { http: UpstreamHttp },
): RemoteProvider {
  const { http } = deps;
  return {
    kind: 'remote',
    name: options.name,
    protocol: dialect.protocol,
    unsupported: (request, kind) => dialect.unsupported(request, kind),
    async submit(submission, signal) {
      const { path, body } = dialect.create(submission);
      const headers = createHeaders(options.apiKey, submission.reelayId);
      const response = await http.request('POST', endpoint(options.baseUrl, path), { headers, json: body, signal });
      return { upstreamId: dialect.upstreamIdOf(readAnswer(response, dialect.created, 'submit', 'create')) };
    },
    async check(ref, signal) {
      const url = endpoint(options.baseUrl, dialect.taskPath(ref.upstreamId));
      const response = await http.request('GET', url, { headers: bearerHeaders(options.apiKey), signal });
      return dialect.stateOf(readAnswer(response, dialect.task, 'check', 'task'));
    },
  };
}

export function bearerHeaders(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}` };
}

/**
 * A create carries Reelay's task id as `Idempotency-Key`: none of these dialects documents one,
 * so it is ignored where unknown, and a server that honours it (Reelay itself, later) turns a
 * retried submit into the same task.
 */
export function createHeaders(apiKey: string, reelayId: string): Record<string, string> {
  return { ...bearerHeaders(apiKey), 'idempotency-key': reelayId };
}

/** `base` + `path`, keeping a path prefix in the operator's base URL (`https://host/api`). */
export function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/**
 * The error words the dialects put next to the status (EvoLink's and APIMart's `type`, Novita's
 * `reason`, spec §2.3 and §4.3). A word decides before the bare status, since it is what the
 * upstream meant; an unknown word falls back to the status.
 */
const ERROR_WORDS: Readonly<Record<string, UpstreamErrorClass>> = {
  invalid_request_error: 'rejected',
  request_too_large_error: 'rejected',
  authentication_error: 'channel',
  insufficient_quota_error: 'channel',
  permission_error: 'channel',
  not_found_error: 'not_found',
  rate_limit_error: 'throttled',
  internal_server_error: 'ambiguous',
  upstream_error: 'ambiguous',
  service_unavailable_error: 'ambiguous',
  INVALID_REQUEST_BODY: 'rejected',
  UNAUTHORIZED: 'channel',
  FORBIDDEN: 'channel',
  NOT_FOUND: 'not_found',
  INTERNAL_ERROR: 'ambiguous',
};

const text = z.string().nullish().catch(undefined);
// Lenient on purpose: whatever part of an error body is readable helps the message; the rest
// is ignored, and the status alone still classes the error.
const errorBodySchema = z.object({
  reason: text,
  message: text,
  error: z
    .union([z.object({ message: text, type: text, param: text }), z.string()])
    .nullish()
    .catch(undefined),
});

/** The status a reseller meant: APIMart-style bodies may carry an error `code` inside an HTTP 200. */
function statusOf(response: UpstreamResponse): number {
  const code = parsed(z.object({ code: z.number().int().min(100).max(599) }), response.json)?.code;
  const isOk = response.status >= 200 && response.status < 300;
  return isOk && code !== undefined && (code < 200 || code >= 300) ? code : response.status;
}

function parsed<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** The UpstreamError of a non-2xx answer (or an error body inside a 2xx). */
export function resellerError(response: UpstreamResponse, status: number, phase: CallPhase): UpstreamError {
  const body = parsed(errorBodySchema, response.json) ?? {};
  const detail = typeof body.error === 'object' && body.error !== null ? body.error : { message: body.error, type: null, param: null };
  const word = detail.type || body.reason || null;
  const param = detail.param || null;
  let message = detail.message || body.message || response.text.trim().slice(0, 300) || `HTTP ${status}`;
  if (param !== null && !message.includes(param)) message = `${param}: ${message}`;
  let errorClass = word !== null && Object.hasOwn(ERROR_WORDS, word) ? (ERROR_WORDS[word] as UpstreamErrorClass) : classOfHttpStatus(status);
  // A create has no task to miss: a 404 there is a route or model path the upstream does not
  // have, and a refused `model` is the channel's model mapping. Both are this channel's
  // configuration, not the client's request, so another channel may still serve it.
  if (phase === 'submit' && (errorClass === 'not_found' || (errorClass === 'rejected' && param === 'model'))) errorClass = 'channel';
  return new UpstreamError(errorClass, word ?? `http_${status}`, message, { httpStatus: status, retryAfterMs: retryAfterMs(response.headers) });
}

/** The answer of a 2xx response read with `schema`, else the classified error; `what` names the answer in messages. */
export function readAnswer<T>(response: UpstreamResponse, schema: z.ZodType<T>, phase: CallPhase, what: string): T {
  const status = statusOf(response);
  if (status < 200 || status >= 300) throw resellerError(response, status, phase);
  const result = schema.safeParse(response.json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  const shown = response.json === undefined ? `not JSON: ${response.text.slice(0, 120)}` : `${where} ${issue?.message ?? 'is invalid'}`;
  throw new UpstreamError('ambiguous', 'bad_answer', `the upstream's ${what} answer is not understood (${shown})`, { httpStatus: response.status });
}

/** A status word in Reelay's terms, which each provider sorts its own words into. */
export type ResellerPhase = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

/** EvoLink's task status words (spec §2.2), which APIMart copied with its routes (§5.2). */
export const UNIFIED_STATUS_PHASES = {
  pending: 'queued',
  processing: 'running',
  completed: 'succeeded',
  failed: 'failed',
  // [S] Not in EvoLink's status list but seen by its clients; Reelay's own dialects answer it.
  cancelled: 'canceled',
} as const satisfies Record<string, ResellerPhase>;

/** Reads one of a dialect's status words as its phase; any other word fails the answer. */
export function statusSchema<W extends string>(phases: Readonly<Record<W, ResellerPhase>>) {
  return z.enum(Object.keys(phases) as W[]).transform((word) => phases[word]);
}

/** What an answer says besides the phase; each part is read only for the phases that use it. */
export type StateParts = { progress: number | null | undefined; urls: readonly string[]; message: string | null | undefined };

/** Upstream `http(s)` video links, as the answers must carry them (the engine downloads them). */
export const videoUrlSchema = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** The UpstreamState of a task in `phase`; a success without a video is a bad answer, not a success. */
export function upstreamState(phase: ResellerPhase, parts: StateParts): UpstreamState {
  switch (phase) {
    case 'queued':
    case 'running':
      return { state: 'pending', phase, progress: progressOf(parts.progress) };
    case 'succeeded': {
      if (parts.urls.length === 0) throw new UpstreamError('ambiguous', 'bad_answer', 'the upstream reports the task completed but lists no video');
      const videos: UpstreamVideo[] = parts.urls.map((url) => ({ url, watermarkUrl: null, durationSeconds: null }));
      return { state: 'succeeded', videos, unitsCharged: null };
    }
    case 'failed':
      return { state: 'failed', message: parts.message || 'the upstream task failed' };
    case 'canceled':
      return { state: 'canceled', message: parts.message || 'the upstream task was cancelled' };
  }
}

function progressOf(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return Math.min(100, Math.max(0, value));
}

/** One thing a dialect cannot say, and why; `unsupported` answers with the first that applies. */
export type Limitation = { applies: (request: VideoRequest, kind: TaskKind) => boolean; why: string };

export function firstLimitation(limits: readonly Limitation[], request: VideoRequest, kind: TaskKind): string | null {
  return limits.find((l) => l.applies(request, kind))?.why ?? null;
}

/** An http(s) URL as the dialects that take image links want it (not base64). */
export function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value) && URL.canParse(value);
}
