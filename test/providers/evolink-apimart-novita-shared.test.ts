/**
 * What the three reseller channels share. For arbitrary valid requests each writes a clean JSON
 * body, and whenever its `unsupported()` says it can carry the request, Reelay's own parser of
 * that dialect accepts the body and reads back the same request (less what the dialect has no
 * field for). And every error body, in each dialect's words, lands in the right class.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseApimartCreate } from '../../src/dialects/apimart/parse-create.ts';
import { parseEvolinkCreate } from '../../src/dialects/evolink/parse-create.ts';
import { NOVITA_MODELS, parseNovitaCreate, type NovitaModel } from '../../src/dialects/novita/parse-create.ts';
import type { VideoElement } from '../../src/domain/elements.ts';
import type { TaskKind } from '../../src/domain/task.ts';
import { checkVideoRequest, type Shot, type VideoRequest } from '../../src/domain/video-request.ts';
import { APIMART_DEFAULT_MODELS, APIMART_DIALECT } from '../../src/providers/apimart/apimart-provider.ts';
import { EVOLINK_DEFAULT_MODELS, EVOLINK_DIALECT } from '../../src/providers/evolink/evolink-provider.ts';
import { NOVITA_DEFAULT_MODELS, NOVITA_DIALECT } from '../../src/providers/novita/novita-provider.ts';
import type { UpstreamSubmission } from '../../src/providers/remote-provider.ts';
import { createHeaders, readAnswer, type CallPhase, type ResellerDialect } from '../../src/providers/reseller-shared.ts';
import { UpstreamError, type UpstreamErrorClass } from '../../src/providers/upstream-error.ts';
import type { UpstreamResponse } from '../../src/providers/upstream-http.ts';
import { videoRequest } from '../support/video-request.ts';

const SERVED = { models: ['kling-v3', 'kling-v3-turbo'] } as const;
const URL_A = 'https://images.example.com/a.png';
const URL_B = 'https://images.example.com/b.png';

/** Prompts that are plain, empty-ish, or hold what some dialect reads specially. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('a cat', '  padded  ', '镜头 1, 2, a door opens;', 'a; 镜头 2, 1, b', 'ends with;', 'say <<<voice_1>>>', 'meet @hero', '镜头缓慢推进'),
);
const shotPrompt = text.filter((p) => p.trim() !== '');

/** 1-6 shots whose durations sum to a valid total (3-15 s). */
const shots = fc.array(fc.record({ prompt: shotPrompt, duration: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 6 }).map((items): Shot[] => {
  const list = items.map((s, i) => ({ index: i + 1, ...s }));
  const short = 3 - list.reduce((sum, s) => sum + s.duration, 0);
  const last = list.at(-1) as Shot;
  if (short > 0) last.duration += short;
  return list;
});

const element: fc.Arbitrary<VideoElement> = fc.oneof(
  fc.constant<VideoElement>({ kind: 'subject', name: 'hero', description: 'a tall knight', imageUrls: [URL_A, URL_B] }),
  fc.constant<VideoElement>({ kind: 'subject', name: 'hero', description: '', imageUrls: [URL_A, 'iVBORw0KGgo='] }),
  fc.constant<VideoElement>({ kind: 'saved', elementId: '8675309' }),
);

const frame = fc.constantFrom(null, URL_A, 'iVBORw0KGgoAAAANSUhEUg==');

/** `usual` three times in four: each dialect refuses some features, and a request rarely asks for many. */
function mostly<T>(usual: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 3, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: other });
}

type Case = { request: VideoRequest; kind: TaskKind; callbackUrl: string | null };

const cases: fc.Arbitrary<Case> = fc
  .record({
    model: fc.constantFrom('kling-v3', 'kling-v3-turbo'),
    prompt: text,
    negativePrompt: fc.oneof(fc.constant(''), text),
    shape: fc.oneof(
      fc.constant<Pick<VideoRequest, 'multiShot' | 'shots'>>({ multiShot: null, shots: [] }),
      fc.constant<Pick<VideoRequest, 'multiShot' | 'shots'>>({ multiShot: 'intelligence', shots: [] }),
      shots.map((s): Pick<VideoRequest, 'multiShot' | 'shots'> => ({ multiShot: 'customize', shots: s })),
    ),
    duration: fc.integer({ min: 3, max: 15 }),
    tier: fc.constantFrom('std', 'pro', 'std', 'pro', '4k'),
    aspectRatio: fc.constantFrom('16:9', '9:16', '1:1'),
    sound: fc.boolean(),
    voiceIds: mostly<string[]>([], fc.constantFrom(['voice_1'], ['voice_1', 'voice_2'])),
    cfgScale: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1, noNaN: true })),
    cameraControl: mostly(null, fc.constant({ type: 'down_back' as const })),
    watermark: mostly(false, fc.constant(true)),
    externalTaskId: fc.constantFrom(null, 'client-1'),
    kind: mostly<TaskKind>('text2video', fc.constant('image2video')),
    firstFrame: frame,
    lastFrame: fc.constantFrom(null, URL_B),
    elements: mostly<VideoElement[]>([], fc.array(element, { minLength: 1, maxLength: 2 })),
    callbackUrl: fc.constantFrom(null, 'https://reelay.example.com/callbacks/t1'),
  })
  .map(({ shape, kind, callbackUrl, firstFrame, lastFrame, ...rest }): Case => {
    const duration = shape.multiShot === 'customize' ? shape.shots.reduce((sum, s) => sum + s.duration, 0) : rest.duration;
    const frames = kind === 'image2video' ? { firstFrame, lastFrame } : { firstFrame: null, lastFrame: null };
    return { kind, callbackUrl, request: videoRequest({ ...rest, ...shape, ...frames, duration, callbackUrl: 'https://client.example.com/hook' }) };
  })
  .filter(({ request, kind }) => checkVideoRequest(request, { kind }) === null);

type Channel = {
  name: string;
  dialect: ResellerDialect<unknown, unknown>;
  models: Readonly<Record<string, string>>;
  /** Reelay's own parser of the dialect: the request and product it reads from the call. */
  parse(path: string, body: unknown): { request: VideoRequest; kind: TaskKind };
  /** What the dialect carries of `c.request`: the rest reads back as its default. */
  carried(c: Case): VideoRequest;
};

const dropped = { cfgScale: null, externalTaskId: null, callbackUrl: null } as const;

/** EvoLink's turbo model writes shots into the prompt, whose syntax trims the words. */
function evolinkCarried({ request, callbackUrl }: Case): VideoRequest {
  const syntax = request.model === 'kling-v3-turbo' && request.multiShot === 'customize';
  const text = syntax ? { prompt: request.prompt.trim(), shots: request.shots.map((s) => ({ ...s, prompt: s.prompt.trim() })) } : {};
  return { ...request, ...dropped, ...text, callbackUrl };
}

const CHANNELS: Channel[] = [
  {
    name: 'evolink',
    dialect: EVOLINK_DIALECT as ResellerDialect<unknown, unknown>,
    models: EVOLINK_DEFAULT_MODELS,
    parse: (_path, body) => ({ request: parseEvolinkCreate(body, SERVED), kind: 'text2video' }),
    carried: evolinkCarried,
  },
  {
    name: 'apimart',
    dialect: APIMART_DIALECT as ResellerDialect<unknown, unknown>,
    models: APIMART_DEFAULT_MODELS,
    parse: (_path, body) => parseApimartCreate(body, SERVED),
    carried: ({ request }) => ({ ...request, ...dropped }),
  },
  {
    name: 'novita',
    dialect: NOVITA_DIALECT as ResellerDialect<unknown, unknown>,
    models: NOVITA_DEFAULT_MODELS,
    parse: (path, body) => {
      const model = path.replace('/v3/async/', '');
      if (!Object.hasOwn(NOVITA_MODELS, model)) throw new Error(`no Novita route ${path}`);
      return { request: parseNovitaCreate(body, { ...SERVED, model: model as NovitaModel }), kind: 'text2video' };
    },
    carried: ({ request }) => ({ ...request, ...dropped, cfgScale: request.cfgScale, prompt: request.multiShot === 'customize' ? '' : request.prompt }),
  },
];

/** Paths inside `value` that hold undefined (or a number JSON cannot write). */
function unwritable(value: unknown, at = 'body'): string[] {
  if (value === undefined) return [at];
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => unwritable(v, `${at}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => unwritable(v, `${at}.${k}`));
  return [];
}

describe.each(CHANNELS)('the $name body for arbitrary valid requests', (channel) => {
  const submissionOf = (c: Case): UpstreamSubmission => ({
    reelayId: 't_1',
    kind: c.kind,
    request: c.request,
    upstreamModel: channel.models[c.request.model] ?? '',
    callbackUrl: c.callbackUrl,
  });
  // A channel only gets the models it maps (build-channels); the rest are never routed to it.
  const routed = cases.filter((c) => Object.hasOwn(channel.models, c.request.model));

  it('never holds an undefined value or a number JSON cannot write', () => {
    fc.assert(
      fc.property(routed, (c) => {
        expect(unwritable(channel.dialect.create(submissionOf(c)).body)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("is accepted by Reelay's own parser, and reads back the same request, whenever unsupported() says null", () => {
    let carried = 0;
    fc.assert(
      fc.property(routed, (c) => {
        if (channel.dialect.unsupported(c.request, c.kind) !== null) return;
        carried++;
        const { path, body } = channel.dialect.create(submissionOf(c));
        const read = channel.parse(path, JSON.parse(JSON.stringify(body)));
        expect(read.kind).toBe(c.kind);
        expect(read.request).toEqual(channel.carried(c));
      }),
      { numRuns: 300 },
    );
    // The property says something only if many requests got through.
    expect(carried).toBeGreaterThan(30);
  });
});

const response = (status: number, json: unknown, headers: Record<string, string> = {}): UpstreamResponse => ({
  status,
  headers,
  json,
  text: json === undefined ? '' : JSON.stringify(json),
});

/** What a channel throws for an answer: a create's, or a query's read through to its state. */
function errorOf(dialect: ResellerDialect<unknown, unknown>, res: UpstreamResponse, phase: CallPhase): UpstreamError {
  try {
    if (phase === 'submit') dialect.upstreamIdOf(readAnswer(res, dialect.created, phase, 'create'));
    else dialect.stateOf(readAnswer(res, dialect.task, phase, 'task'));
  } catch (e) {
    if (e instanceof UpstreamError) return e;
    throw e;
  }
  throw new Error('the answer was read as a success');
}

type ErrorWords = {
  channel: Channel;
  /** The dialect's error body for a status, its word, a message and the field it names. */
  body(status: number, word: string, message: string, param?: string): unknown;
  /** Status -> the dialect's word and the class it must land in on a query. */
  words: Array<[number, string, UpstreamErrorClass]>;
};

const withParam = (param: string | undefined) => (param === undefined ? {} : { param });
const UNIFIED_WORDS: ErrorWords['words'] = [
  [400, 'invalid_request_error', 'rejected'],
  [401, 'authentication_error', 'channel'],
  [402, 'insufficient_quota_error', 'channel'],
  [403, 'permission_error', 'channel'],
  [404, 'not_found_error', 'not_found'],
  [413, 'request_too_large_error', 'rejected'],
  [429, 'rate_limit_error', 'throttled'],
  [500, 'internal_server_error', 'ambiguous'],
  [502, 'upstream_error', 'ambiguous'],
  [503, 'service_unavailable_error', 'ambiguous'],
];
const [EVOLINK, APIMART, NOVITA] = CHANNELS as [Channel, Channel, Channel];
const ERRORS: ErrorWords[] = [
  { channel: EVOLINK, body: (status, word, message, param) => ({ error: { code: status, message, type: word, ...withParam(param) } }), words: UNIFIED_WORDS },
  { channel: APIMART, body: (status, word, message, param) => ({ code: status, error: { message, type: word, ...withParam(param) } }), words: UNIFIED_WORDS },
  {
    channel: NOVITA,
    body: (status, word, message) => ({ code: status, reason: word, message, metadata: {} }),
    words: [
      [400, 'INVALID_REQUEST_BODY', 'rejected'],
      [401, 'UNAUTHORIZED', 'channel'],
      [403, 'FORBIDDEN', 'channel'],
      [404, 'NOT_FOUND', 'not_found'],
      // Words Reelay does not know fall back to the status.
      [429, 'RATE_LIMIT_EXCEEDED', 'throttled'],
      [500, 'INTERNAL_ERROR', 'ambiguous'],
      [504, 'GATEWAY_TIMEOUT', 'ambiguous'],
    ],
  },
];

describe.each(ERRORS)('the $channel.name error classes', ({ channel, body, words }) => {
  const { dialect } = channel;

  it.each(words)('puts HTTP %i %s in class %s', (status, word, errorClass) => {
    expect(errorOf(dialect, response(status, body(status, word, 'why')), 'check')).toMatchObject({ errorClass, code: word, httpStatus: status, message: 'why' });
  });

  it('names the refused field in a rejection', () => {
    const e = errorOf(dialect, response(400, body(400, words[0]?.[1] ?? '', 'prompt must be at most 2500 characters', 'prompt')), 'submit');
    expect(e).toMatchObject({ errorClass: 'rejected', message: 'prompt must be at most 2500 characters' });
  });

  it('reads Retry-After on a rate limit', () => {
    const e = errorOf(dialect, response(429, body(429, 'rate_limit_error', 'slow down'), { 'retry-after': '7' }), 'submit');
    expect(e).toMatchObject({ errorClass: 'throttled', retryAfterMs: 7000 });
  });

  it('classes a body it cannot read by the status, quoting the text', () => {
    const e = errorOf(dialect, { status: 502, headers: {}, json: undefined, text: '<html>Bad Gateway</html>' }, 'submit');
    expect(e).toMatchObject({ errorClass: 'ambiguous', code: 'http_502', message: '<html>Bad Gateway</html>' });
  });

  it("on a create, makes a 404 or a refused model the channel's fault, so another channel may serve the task", () => {
    const notFound = words.find(([status]) => status === 404)?.[1] ?? '';
    expect(errorOf(dialect, response(404, body(404, notFound, 'no such route')), 'submit')).toMatchObject({ errorClass: 'channel', httpStatus: 404 });
    expect(errorOf(dialect, response(400, body(400, 'invalid_request_error', "model 'x' is not available", 'model')), 'submit').errorClass).toBe(
      channel.name === 'novita' ? 'rejected' : 'channel',
    );
  });

  it('calls a 2xx answer it cannot use ambiguous bad_answer', () => {
    for (const json of [undefined, [], { status: 'done' }, { task: { status: 'TASK_STATUS_DONE' } }, { data: { status: 'done' } }]) {
      expect(errorOf(dialect, response(200, json), 'check')).toMatchObject({ errorClass: 'ambiguous', code: 'bad_answer' });
    }
    expect(errorOf(dialect, response(200, { object: 'video.generation.task' }), 'submit')).toMatchObject({ errorClass: 'ambiguous', code: 'bad_answer' });
  });
});

describe('the reseller channels, beyond their words', () => {
  it("reads APIMart's error code inside an HTTP 200 as that error", () => {
    const e = errorOf(APIMART.dialect, response(200, { code: 401, error: { message: 'invalid key', type: 'authentication_error' } }), 'check');
    expect(e).toMatchObject({ errorClass: 'channel', httpStatus: 401, message: 'invalid key' });
  });

  it("sends the Reelay task id as Idempotency-Key next to the Bearer key on a create", () => {
    expect(createHeaders('sk-1', 't_1')).toEqual({ authorization: 'Bearer sk-1', 'idempotency-key': 't_1' });
  });
});
