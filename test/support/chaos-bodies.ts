/**
 * Generated create requests for the abuse suite (test/chaos/generated-bodies.test.ts): for each
 * dialect, bodies built from the fields its zod schema reads (src/dialects/<dialect>/parse-create.ts),
 * each field valid or mutated, and beyond the schema: wrong types, numbers as strings and strings
 * as numbers, huge and odd unicode strings, nested junk, prototype-named keys, missing and extra
 * fields, invalid JSON text, invalid UTF-8, empty bodies, wrong content types, form encoding where
 * JSON is expected, oversized bodies, odd Idempotency-Key and Authorization headers.
 */
import fc from 'fast-check';

/** One HTTP request to a create route. `auth` picks the caller's credentials ('key' = the dialect's key). */
export type ChaosRequest = {
  route: string;
  body: string | Uint8Array;
  contentType: string | null;
  idempotencyKey?: string;
  auth: 'key' | 'none' | 'garbage' | 'jwt-garbage' | 'bare-key';
  /** What the generator made, for the failure report. */
  kind: string;
};

type Json = unknown;
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

// ---- values -----------------------------------------------------------------------------------

const oddStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uFEFF',
  '\uD800',
  '\uDFFF',
  '\u202E\u202D',
  '𝕂𝕝𝕚𝕟𝕘',
  '👩‍👩‍👧‍👦'.repeat(50),
  '镜头 1, 2, a; 镜头 2, 3, b;',
  '镜头 1，3，b；镜头 2，2，c；',
  '镜头 9, x',
  '镜头 0, 0, ;',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'null',
  'true',
  '__proto__',
  'constructor',
  "'; DROP TABLE tasks; --",
  '%00',
  '../../etc/passwd',
  'https://127.0.0.1/x',
  'http://localhost/x',
  'https://[::1]/x',
  'https://169.254.169.254/latest/meta-data',
  'javascript:alert(1)',
  'data:image/png;base64,AAAA',
);

/** Strings too long for every limit (prompt 2500, external id 256, callback 2048, shot 512). */
const hugeStrings = fc.oneof(
  fc.integer({ min: 2501, max: 60_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 257, max: 3000 }).map((n) => 'é'.repeat(n)),
  fc.integer({ min: 400, max: 3000 }).map((n) => '镜头 1, 2, a;'.repeat(n)),
);

const anyString = fc.oneof(
  w(4, fc.string()),
  w(2, fc.string({ unit: 'grapheme' })),
  w(2, fc.string({ unit: 'binary' })),
  w(2, oddStrings),
  w(1, hugeStrings),
);

const numbers = fc.oneof(
  fc.integer(),
  fc.integer({ min: -5, max: 30 }),
  fc.double(),
  fc.constantFrom(0, -0, 1e308, -1e308, 5.5, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e-300),
);

/** Deeply nested arrays or objects, as JSON text (JSON.stringify would recurse). */
const deepText = fc.tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean()).map(([depth, arrays]) =>
  arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
);

/** Any JSON value at all: what a field gets when it is not what the schema wants. */
export const junk: fc.Arbitrary<Json> = fc.oneof(
  w(3, fc.jsonValue({ maxDepth: 2 })),
  w(2, anyString),
  w(2, numbers),
  w(1, fc.constantFrom(null, true, false, [], {}, [null], [[]], { '': '' })),
  w(1, fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'a'), fc.jsonValue({ maxDepth: 1 }))),
  w(1, fc.integer({ min: 50, max: 5000 }).map((n) => Array.from({ length: n }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? 'a' : { i })))),
);

/** A number sent as a string, and the other way round. */
const numberWords = fc.oneof(
  fc.integer({ min: -3, max: 20 }).map(String),
  fc.constantFrom(' 5', '5 ', '5.0', '05', '+5', '５', '5e0', '0x5', '', '10.', '3_0'),
);

/** A field: mostly its valid values, sometimes anything. */
const field = <T>(valid: fc.Arbitrary<T>, junkWeight = 1): fc.Arbitrary<Json> => fc.oneof(w(4, valid as fc.Arbitrary<Json>), w(junkWeight, junk));

const prompts = fc.oneof(
  w(6, fc.constantFrom('A red fox in fresh snow', 'a cat on a piano', 'rain over an old courtyard', '猫が走る', 'x')),
  w(2, fc.string({ minLength: 1, maxLength: 80 })),
  w(1, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })),
  w(1, oddStrings),
);
const httpsUrls = fc.oneof(fc.constantFrom('https://example.com/a.png', 'https://cdn.example.org/first.jpg?x=1'), fc.webUrl({ validSchemes: ['https'] }));
const callbackUrls = fc.oneof(
  w(3, fc.constantFrom('https://example.com/hook', 'https://hooks.example.org/reelay?x=1')),
  w(2, fc.constantFrom('http://example.com/hook', 'https://127.0.0.1/hook', 'https://localhost/hook', 'https://10.0.0.1/', 'ftp://example.com/', 'https://[fd00::1]/', 'https://exa mple.com/')),
  w(1, fc.webUrl()),
);
/** Few ids, so duplicates (400 duplicate_external_task_id) happen. */
const externalIds = fc.oneof(fc.constantFrom('ext-1', 'ext-2', 'ext-3'), fc.string({ minLength: 1, maxLength: 20 }));
const aspect = fc.constantFrom('16:9', '9:16', '1:1');
const tiers = fc.constantFrom('std', 'pro', '4k');
const base64 = fc.constantFrom('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'AAAA', 'not base64!');
const shotItems = (durations: fc.Arbitrary<Json>) =>
  fc.array(fc.record({ index: field(fc.integer({ min: 0, max: 7 })), prompt: field(prompts), duration: durations }, { requiredKeys: ['prompt'] }), { maxLength: 8 });

/** Junk keys besides the schema's. */
const extraKeys = fc.dictionary(
  fc.oneof(fc.constantFrom('__proto__', 'constructor', 'x', 'model_id', 'seed', 'n', 'metadata', 'PROMPT', 'prompt '), fc.string({ maxLength: 10 })),
  junk,
  { maxKeys: 4 },
);

/** `body` with an own `__proto__` key, as JSON.parse makes it (a spread would set the prototype instead). */
function withProtoKey(body: Record<string, Json>, value: Json): Record<string, Json> {
  const rest = JSON.stringify(body).slice(1);
  return JSON.parse(`{"__proto__":${JSON.stringify(value)}${rest === '}' ? '' : ','}${rest}`) as Record<string, Json>;
}

/**
 * A body of the schema's fields (valid values, nested ones already noisy): clean (each field
 * valid or absent), noisy (each field sometimes anything), with extra keys, or with an own
 * `__proto__` key.
 */
function bodyOf(fields: Record<string, fc.Arbitrary<Json>>, required: string[] = []): fc.Arbitrary<Record<string, Json>> {
  const noisyFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, field(v)]));
  const clean = fc.record(fields, { requiredKeys: required as never[] }) as fc.Arbitrary<Record<string, Json>>;
  const noisy = fc.record(noisyFields, { requiredKeys: required as never[] }) as fc.Arbitrary<Record<string, Json>>;
  const loose = fc.record(noisyFields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, Json>>;
  return fc.oneof(
    w(3, clean),
    w(4, noisy),
    w(1, loose),
    w(2, fc.tuple(fc.oneof(clean, noisy), extraKeys).map(([b, extra]) => ({ ...extra, ...b }))),
    w(1, fc.tuple(noisy, junk).map(([b, j]) => withProtoKey(b, j))),
  );
}

// ---- each dialect's fields (from its parse-create.ts) -----------------------------------------

const klingDuration = fc.oneof(w(4, fc.integer({ min: 3, max: 15 }).map(String)), w(1, fc.integer({ min: 3, max: 15 })), w(1, numberWords));

function klingLegacyFields(kind: 'text2video' | 'image2video'): Record<string, fc.Arbitrary<Json>> {
  return {
    model_name: fc.constantFrom('kling-v3', 'kling-v3-turbo', 'kling-v1', 'kling-v2-master', ''),
    model: fc.constantFrom('kling-v3', 'kling-v3-turbo'),
    prompt: prompts,
    negative_prompt: fc.constantFrom('blurry', ''),
    duration: klingDuration,
    mode: tiers,
    aspect_ratio: aspect,
    sound: fc.constantFrom('on', 'off'),
    cfg_scale: fc.double({ min: 0, max: 1, noNaN: true }),
    multi_shot: fc.boolean(),
    shot_type: fc.constantFrom('customize', 'intelligence'),
    multi_prompt: shotItems(field(fc.integer({ min: 1, max: 5 }).map(String))),
    voice_list: fc.array(fc.record({ voice_id: field(fc.constantFrom('v1', 'v2', '')) }), { maxLength: 3 }),
    camera_control: fc.record({ type: field(fc.constantFrom('simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward')), config: field(fc.record({ horizontal: field(fc.integer({ min: -10, max: 10 })), zoom: field(fc.integer({ min: -12, max: 12 })) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
    watermark_info: fc.record({ enabled: field(fc.boolean()) }, { requiredKeys: [] }),
    callback_url: callbackUrls,
    external_task_id: externalIds,
    ...(kind === 'image2video'
      ? {
          image: field(fc.oneof(httpsUrls, base64)),
          image_tail: field(fc.oneof(httpsUrls, base64)),
          element_list: field(fc.array(fc.record({ element_id: field(fc.oneof(fc.nat(), fc.nat().map(String))) }), { maxLength: 4 })),
        }
      : {}),
  };
}

const klingNewFields = (image: boolean): Record<string, fc.Arbitrary<Json>> => ({
  prompt: prompts,
  settings: field(
    fc.record(
      {
        multi_shot: field(fc.boolean()),
        audio: field(fc.constantFrom('native', 'off')),
        resolution: field(fc.constantFrom('720p', '1080p', '4k')),
        aspect_ratio: field(aspect),
        duration: field(fc.oneof(w(3, fc.integer({ min: 3, max: 15 })), w(1, numberWords))),
      },
      { requiredKeys: [] },
    ),
  ),
  options: fc.record({ callback_url: field(callbackUrls), external_task_id: field(externalIds), watermark_info: field(fc.record({ enabled: field(fc.boolean()) })) }, { requiredKeys: [] }),
  ...(image
    ? {
        contents: field(
          fc.array(
            fc.oneof(
              fc.record({ type: fc.constant('prompt'), text: field(prompts) }),
              fc.record({ type: fc.constant('first_frame'), url: field(httpsUrls) }),
              fc.record({ type: fc.constant('last_frame'), url: field(httpsUrls) }),
              fc.record({ type: fc.constant('element'), element_id: field(fc.oneof(fc.nat(), fc.nat().map(String))) }),
              fc.record({ type: junk }),
              junk,
            ),
            { maxLength: 5 },
          ),
        ),
      }
    : {}),
});

const evolinkFields: Record<string, fc.Arbitrary<Json>> = {
  model: fc.constantFrom('kling-v3-text-to-video', 'kling-v3-turbo-text-to-video'),
  prompt: prompts,
  negative_prompt: fc.constantFrom('blurry', ''),
  duration: fc.oneof(w(4, fc.integer({ min: 3, max: 15 })), w(1, numberWords)),
  aspect_ratio: aspect,
  quality: fc.constantFrom('720p', '1080p', '4k'),
  sound: fc.constantFrom('on', 'off'),
  generate_audio: fc.boolean(),
  voice_ids: fc.array(fc.constantFrom('v1', 'v2', ''), { maxLength: 3 }),
  multi_prompt: shotItems(field(fc.integer({ min: 1, max: 5 }))),
  model_params: field(
    fc.record(
      { multi_shot: field(fc.boolean()), shot_type: field(fc.constantFrom('customize', 'intelligence')), multi_prompt: field(shotItems(field(fc.integer({ min: 1, max: 5 })))), watermark: field(fc.boolean()) },
      { requiredKeys: [] },
    ),
  ),
  callback_url: callbackUrls,
};

const apimartFields: Record<string, fc.Arbitrary<Json>> = {
  model: fc.constant('kling-v3'),
  prompt: prompts,
  mode: tiers,
  duration: fc.oneof(w(4, fc.integer({ min: 3, max: 15 })), w(1, numberWords)),
  aspect_ratio: aspect,
  negative_prompt: fc.constantFrom('blurry', ''),
  image_urls: fc.array(httpsUrls, { maxLength: 3 }),
  watermark: fc.boolean(),
  audio: fc.boolean(),
  multi_shot: fc.boolean(),
  shot_type: fc.constantFrom('customize', 'intelligence'),
  multi_prompt: shotItems(field(fc.integer({ min: 1, max: 5 }).map(String))),
  elements: fc.array(fc.record({ name: field(fc.constantFrom('cat', '')), description: field(prompts), element_input_urls: field(fc.array(httpsUrls, { maxLength: 3 })) }), { maxLength: 3 }),
};

const novitaFields: Record<string, fc.Arbitrary<Json>> = {
  prompt: prompts,
  negative_prompt: fc.constantFrom('blurry', ''),
  sound: fc.boolean(),
  duration: fc.oneof(w(4, fc.integer({ min: 3, max: 15 })), w(1, numberWords)),
  cfg_scale: fc.double({ min: 0, max: 1, noNaN: true }),
  aspect_ratio: aspect,
  multi_prompt: shotItems(field(fc.integer({ min: 1, max: 5 }))),
};

const openAiFields: Record<string, fc.Arbitrary<Json>> = {
  model: fc.constantFrom('kling-v3', 'kling-v3-turbo', 'sora-2'),
  prompt: prompts,
  seconds: fc.oneof(fc.integer({ min: 3, max: 15 }).map(String), fc.integer({ min: 3, max: 15 }), numberWords),
  size: fc.constantFrom('1280x720', '720x1280', '720x720', '1920x1080', '1080x1920', '1080x1080', '3840x2160', '2160x3840', '2160x2160', '1024x1792'),
  mode: tiers,
  aspect_ratio: aspect,
  sound: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', 'on', 'off')),
  negative_prompt: fc.constantFrom('blurry', ''),
  input_reference: fc.constant(null),
};

// ---- the request around the body ---------------------------------------------------------------

/** 1 MiB, the body limit of every create route but the two image2video ones (28 MiB). */
const ONE_MIB = 1024 * 1024;

const rawJsonTexts = fc.oneof(
  fc.constantFrom('', ' ', '{', '}', '{"prompt":', '{"prompt":"a",}', "{'prompt':'a'}", '{"prompt":"a"}{"prompt":"b"}', '[]', 'null', '0', '"x"', 'NaN', '{"a":1e999}', '\uFEFF{"prompt":"a"}', '{"prompt":"\\ud800"}', '{"prompt":"\\u0000"}', '{"duration":01}', 'undefined', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}'),
  fc.string(),
  fc.string({ unit: 'binary' }),
  deepText,
  deepText.map((d) => `{"prompt":"a","settings":${d},"multi_prompt":${d}}`),
);

const invalidUtf8 = fc.constantFrom(
  Uint8Array.from([0xff, 0xfe, 0x7b, 0x7d]),
  Uint8Array.from([0x7b, 0x22, 0x70, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
  Uint8Array.from([0xed, 0xa0, 0x80]),
  Uint8Array.from([0x00, 0x00, 0x00]),
);

const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'multipart/form-data', 'application/octet-stream', 'application/xml', 'APPLICATION/JSON', 'application/json; charset=latin1', '');

const formValue = (v: Json): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

/** An object body as application/x-www-form-urlencoded text. */
function urlEncoded(body: Record<string, Json>): string {
  // URLSearchParams, not encodeURIComponent: it writes a lone surrogate as U+FFFD instead of throwing.
  return new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, formValue(v)])).toString();
}

/** An object body as multipart/form-data, with the given boundary (or a broken one). */
function multipart(body: Record<string, Json>, boundary: string, broken: number): string {
  const parts = Object.entries(body).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${formValue(v)}\r\n`);
  if (broken === 1) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="input_reference"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n`);
  if (broken === 2) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\ntwice\r\n`);
  const text = parts.join('') + (broken === 3 ? '' : `--${boundary}--\r\n`);
  return broken === 4 ? text.slice(0, Math.floor(text.length / 2)) : text;
}

const idempotencyKeys = fc.oneof(
  w(20, fc.constant(undefined)),
  w(2, fc.constantFrom('k-1', 'k-2', 'k-3')),
  w(1, fc.constantFrom('', ' ', 'x'.repeat(256), 'x'.repeat(255), '\t', 'ab\x80', 'é', 'ÿ'.repeat(3))),
);

const auths = fc.oneof(
  w(40, fc.constant('key' as const)),
  w(1, fc.constantFrom('none' as const, 'garbage' as const, 'jwt-garbage' as const, 'bare-key' as const)),
);

/** Everything a dialect's create route may be sent. */
export function requestsFor(routes: string[], body: fc.Arbitrary<Record<string, Json>>, options: { form?: boolean } = {}): fc.Arbitrary<ChaosRequest> {
  const route = fc.constantFrom(...routes);
  const json = fc.record({ route, body: body.map((b) => JSON.stringify(b)), contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8'), idempotencyKey: idempotencyKeys, auth: auths }).map((r) => ({ ...r, kind: 'json' }));
  const wrongType = fc.record({ route, body: body.map((b) => JSON.stringify(b)), contentType: contentTypes, auth: auths }).map((r) => ({ ...r, kind: 'json, other content type' }));
  const anyJson = fc.record({ route, body: fc.jsonValue().map((v) => JSON.stringify(v)), contentType: fc.constant('application/json'), auth: auths }).map((r) => ({ ...r, kind: 'any JSON value' }));
  const raw = fc.record({ route, body: fc.oneof(rawJsonTexts, invalidUtf8), contentType: fc.oneof(fc.constant('application/json'), contentTypes, fc.constant(null)), auth: auths }).map((r) => ({ ...r, kind: 'not JSON' }));
  const form = fc.record({ route, body: body.map(urlEncoded), contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json'), idempotencyKey: idempotencyKeys, auth: auths }).map((r) => ({ ...r, kind: 'urlencoded' }));
  const multi = fc
    .record({ route, body, boundary: fc.constantFrom('xyz', 'a'.repeat(70), '----b'), broken: fc.oneof(w(6, fc.constant(0)), w(1, fc.integer({ min: 1, max: 4 }))), declared: fc.oneof(w(5, fc.constant(true)), w(1, fc.constant(false))), auth: auths })
    .map(({ route: r, body: b, boundary, broken, declared, auth }) => ({ route: r, body: multipart(b, boundary, broken), contentType: declared ? `multipart/form-data; boundary=${boundary}` : 'multipart/form-data', auth, kind: `multipart${broken ? ` broken ${broken}` : ''}` }));
  const oversized = fc
    .record({ route, pad: fc.integer({ min: ONE_MIB - 64, max: ONE_MIB + 4096 }), auth: auths })
    .map(({ route: r, pad, auth }) => ({ route: r, body: `{"prompt":"${'p'.repeat(pad)}"}`, contentType: 'application/json', auth, kind: 'about 1 MiB' }));
  return fc.oneof(
    w(60, json),
    w(6, wrongType),
    w(6, anyJson),
    w(8, raw),
    w(options.form ? 10 : 4, form),
    w(options.form ? 10 : 4, multi),
    w(1, oversized),
  ) as fc.Arbitrary<ChaosRequest>;
}

// ---- the dialects ------------------------------------------------------------------------------

export const DIALECT_BODIES = {
  kling: requestsFor(
    ['/v1/videos/text2video', '/v1/videos/image2video'],
    fc.oneof(bodyOf(klingLegacyFields('text2video')), bodyOf(klingLegacyFields('image2video'))),
  ),
  newapi: requestsFor(
    ['/kling/v1/videos/text2video', '/kling/v1/videos/image2video'],
    fc.oneof(bodyOf(klingLegacyFields('text2video')), bodyOf(klingLegacyFields('image2video'))),
  ),
  'kling-new': requestsFor(
    ['/text-to-video/kling-3.0', '/text-to-video/kling-3.0-turbo', '/image-to-video/kling-3.0', '/text-to-video/kling-3.0', '/image-to-video/kling-3.0', '/text-to-video/kling-2.6', '/image-to-video/kling-3.0-turbo', '/text-to-video/%E9%95%9C'],
    fc.oneof(bodyOf(klingNewFields(false)), bodyOf(klingNewFields(true))),
  ),
  evolink: requestsFor(['/v1/videos/generations'], bodyOf(evolinkFields, ['model'])),
  apimart: requestsFor(['/v1/videos/generations'], bodyOf(apimartFields, ['model'])),
  novita: requestsFor(['/v3/async/kling-v3.0-pro-t2v', '/v3/async/kling-v3.0-std-t2v'], bodyOf(novitaFields)),
  openai: requestsFor(['/v1/videos'], bodyOf(openAiFields, ['prompt']), { form: true }),
} as const;

export type ChaosDialect = keyof typeof DIALECT_BODIES;
