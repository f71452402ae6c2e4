import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKlingCreate } from '../../src/dialects/kling/parse-create.ts';
import { AppError } from '../../src/domain/errors.ts';
import { checkVideoRequest } from '../../src/domain/video-request.ts';
import { appErrorOf } from '../support/app-error.ts';
import { OFFICIAL_MULTI_SHOT } from '../support/kling-examples.ts';
import { videoRequest } from '../support/video-request.ts';

const T2V = { models: ['kling-v3'], kind: 'text2video' } as const;
const I2V = { models: ['kling-v3'], kind: 'image2video' } as const;
const BASE = { model_name: 'kling-v3', prompt: 'A red fox in fresh snow' };

function shots(durations: number[], prompt = 'a shot') {
  return durations.map((d, i) => ({ index: i + 1, prompt, duration: String(d) }));
}
const customize = (durations: number[], extra: object = {}) => ({
  ...BASE,
  multi_shot: true,
  shot_type: 'customize',
  duration: String(durations.reduce((a, b) => a + b, 0)),
  multi_prompt: shots(durations),
  ...extra,
});

const failure = (body: unknown, options: typeof T2V | typeof I2V = T2V): AppError => appErrorOf(() => parseKlingCreate(body, options));

describe('parseKlingCreate: the spec examples', () => {
  it('parses the official multi-shot example (15 s = 2+3+3+3+3+1)', () => {
    const req = parseKlingCreate(
      OFFICIAL_MULTI_SHOT,
      T2V,
    );
    expect(req).toMatchObject({ model: 'kling-v3', prompt: '', multiShot: 'customize', duration: 15, tier: 'pro' });
    expect(req).toMatchObject({ sound: true, aspectRatio: '9:16', callbackUrl: null, externalTaskId: null });
    expect(req.shots.map((s) => s.duration)).toEqual([2, 3, 3, 3, 3, 1]);
    expect(req.shots[5]).toEqual({ index: 6, prompt: 'A sunset over mountains, small figure walking away.', duration: 1 });
  });

  it('parses the single-shot request from a real log, filling the defaults', () => {
    const req = parseKlingCreate(
      { model_name: 'kling-v3', prompt: 'A calm woman looks at the camera and slowly smiles, natural motion, clean lighting.', duration: '5', mode: 'std', aspect_ratio: '16:9', external_task_id: 'text2video_kling_v3_final-1774805076' },
      T2V,
    );
    expect(req).toEqual(
      videoRequest({
        model: 'kling-v3', prompt: 'A calm woman looks at the camera and slowly smiles, natural motion, clean lighting.',
        duration: 5, tier: 'std', aspectRatio: '16:9', sound: false, externalTaskId: 'text2video_kling_v3_final-1774805076',
      }),
    );
  });

  it("parses the issue's example with sound on", () => {
    const req = parseKlingCreate(
      { model_name: 'kling-v3', prompt: 'An ancient Japanese courtyard, rain falling into a pond', duration: '5', mode: 'std', aspect_ratio: '16:9', sound: 'on' },
      T2V,
    );
    expect(req).toMatchObject({ duration: 5, tier: 'std', aspectRatio: '16:9', sound: true });
  });
});

describe('parseKlingCreate: one message per rule', () => {
  const long = (n: number) => 'x'.repeat(n);
  const cases: [string, unknown, string][] = [
    ['a body that is not an object', [1, 2], 'request body must be a JSON object'],
    ['duration "16"', { ...BASE, duration: '16' }, 'duration must be an integer between 3 and 15'],
    ['duration "2"', { ...BASE, duration: '2' }, 'duration must be an integer between 3 and 15'],
    ['duration 5.5', { ...BASE, duration: 5.5 }, 'duration must be an integer between 3 and 15'],
    ['duration "5.5"', { ...BASE, duration: '5.5' }, 'duration must be an integer between 3 and 15'],
    ['duration "05"', { ...BASE, duration: '05' }, 'duration must be an integer between 3 and 15'],
    ['duration true', { ...BASE, duration: true }, 'duration must be an integer between 3 and 15'],
    ['a prompt over 2500 characters', { ...BASE, prompt: long(2501) }, 'prompt must be at most 2500 characters'],
    ['a negative prompt over 2500 characters', { ...BASE, negative_prompt: long(2501) }, 'negative_prompt must be at most 2500 characters'],
    ['no prompt on a single shot', { model_name: 'kling-v3' }, 'prompt is required unless multi-shot is customized'],
    ['no prompt with intelligence', { multi_shot: true, shot_type: 'intelligence' }, 'prompt is required unless multi-shot is customized'],
    ['multi_shot without shot_type', { ...BASE, multi_shot: true }, 'shot_type is required when multi_shot is true'],
    ['0 shots', customize([], { duration: '5' }), 'multi_prompt must hold between 1 and 6 shots when the shot type is customize'],
    ['7 shots', customize([2, 2, 2, 2, 2, 2, 2]), 'multi_prompt must hold between 1 and 6 shots when the shot type is customize'],
    ['a shot prompt over 512 characters', customize([5], { multi_prompt: [{ index: 1, prompt: long(513), duration: '5' }] }), 'multi_prompt[0].prompt must be at most 512 characters'],
    ['shot durations that do not add up', customize([3, 3], { duration: '10' }), 'multi_prompt durations must add up to the total duration (10), not 6'],
    ['a shot longer than the total', customize([3, 3], { duration: '5', multi_prompt: shots([3, 16]) }), 'multi_prompt[1].duration must be an integer between 1 and the total duration (5)'],
    ['a shot index gap', customize([2, 3], { multi_prompt: [{ index: 1, prompt: 'a', duration: '2' }, { index: 3, prompt: 'b', duration: '3' }] }), 'multi_prompt[1].index must be 2: shot indexes run 1..n without gaps'],
    ['3 voices', { ...BASE, sound: 'on', voice_list: [{ voice_id: 'a' }, { voice_id: 'b' }, { voice_id: 'c' }] }, 'voice_list must hold at most 2 voices'],
    ['a voice without sound', { ...BASE, voice_list: [{ voice_id: 'a' }] }, 'voice_list requires sound to be on'],
    ['an empty voice_id', { ...BASE, sound: 'on', voice_list: [{ voice_id: '' }] }, 'voice_list[0].voice_id must be a non-empty string'],
    ['<<<voice_2>>> with one voice', { ...BASE, prompt: '<<<voice_2>>> says hi', sound: 'on', voice_list: [{ voice_id: 'a' }] }, 'prompt references <<<voice_2>>> but only 1 voice(s) are listed'],
    ['cfg_scale 1.5', { ...BASE, cfg_scale: 1.5 }, 'cfg_scale must be a number between 0 and 1'],
    ['simple camera with two axes', { ...BASE, camera_control: { type: 'simple', config: { pan: 1, zoom: 2 } } }, 'camera_control.config must set exactly one of horizontal, vertical, pan, tilt, roll, zoom to a non-zero value when the type is simple'],
    ['simple camera out of range', { ...BASE, camera_control: { type: 'simple', config: { pan: 11 } } }, 'camera_control.config.pan must be between -10 and 10'],
    ['a preset camera with a config', { ...BASE, camera_control: { type: 'down_back', config: { tilt: 3 } } }, 'camera_control.config must be empty when the type is down_back'],
    ['an unknown camera type', { ...BASE, camera_control: { type: 'orbit' } }, 'camera_control.type must be one of: simple, down_back, forward_up, right_turn_forward, left_turn_forward'],
    ['aspect 4:3', { ...BASE, aspect_ratio: '4:3' }, 'aspect_ratio must be one of: 16:9, 9:16, 1:1'],
    ['mode 8k', { ...BASE, mode: '8k' }, 'mode must be one of: std, pro, 4k'],
    ['sound "yes"', { ...BASE, sound: 'yes' }, 'sound must be one of: on, off'],
    ['watermark_info.enabled "true"', { ...BASE, watermark_info: { enabled: 'true' } }, 'watermark_info.enabled must be a boolean'],
    ['a prompt that is a number', { ...BASE, prompt: 42 }, 'prompt must be a string'],
    ['a shot that is not an object', customize([5], { multi_prompt: ['x'] }), 'multi_prompt[0] must be an object'],
    ['a callback that is not a URL', { ...BASE, callback_url: 'not a url' }, 'callback_url must be an absolute http(s) URL'],
  ];
  it.each(cases)('rejects %s', (_name, body, message) => {
    const error = failure(body);
    expect(error.message).toBe(message);
    expect(error.code).toBe('invalid_parameter');
    expect(error.status).toBe(400);
    if (error.field !== undefined) expect(message.startsWith(error.field)).toBe(true);
  });

  it('names the shot by its position in the client array, not its sorted place', () => {
    const body = customize([2, 3], { multi_prompt: [{ index: 3, prompt: 'b', duration: '3' }, { index: 1, prompt: 'a', duration: '2' }] });
    expect(failure(body).message).toBe('multi_prompt[0].index must be 2: shot indexes run 1..n without gaps');
  });

  it('points a voice reference inside a shot at that shot', () => {
    const body = customize([5], { multi_prompt: [{ index: 1, prompt: '<<<voice_1>>>', duration: 5 }] });
    expect(failure(body).message).toBe('multi_prompt[0].prompt references <<<voice_1>>> but only 0 voice(s) are listed');
  });

  it('answers an unknown model with model_not_found (404)', () => {
    const error = failure({ ...BASE, model_name: 'kling-v1' });
    expect(error).toMatchObject({ code: 'model_not_found', status: 404, field: 'model_name' });
    expect(error.message).toBe("model_name 'kling-v1' is not available; available models: kling-v3");
  });
});

describe('parseKlingCreate: lenient where clients differ', () => {
  it('takes the string "5" and the number 5 alike, but not "5.0" or "five"', () => {
    expect(parseKlingCreate({ ...BASE, duration: '5' }, T2V).duration).toBe(5);
    expect(parseKlingCreate({ ...BASE, duration: 5 }, T2V).duration).toBe(5);
    expect(failure({ ...BASE, duration: '5.0' }).field).toBe('duration');
    expect(failure({ ...BASE, duration: 'five' }).field).toBe('duration');
  });

  it('treats null as absent, falls back to `model`, then to kling-v3, and ignores unknown fields', () => {
    const req = parseKlingCreate({ prompt: 'p', model_name: null, mode: null, duration: null, voice_list: null, future_field: { x: 1 } }, T2V);
    expect(req).toMatchObject({ model: 'kling-v3', tier: 'std', duration: 5, voiceIds: [] });
    expect(failure({ prompt: 'p', model: 'kling-v9' }).message).toMatch(/^model 'kling-v9' is not available/);
  });

  it('ignores shot_type and multi_prompt when multi_shot is false', () => {
    const req = parseKlingCreate({ ...BASE, multi_shot: false, shot_type: 'bogus', multi_prompt: 'garbage' }, T2V);
    expect(req).toMatchObject({ multiShot: null, shots: [] });
  });

  it('reads only own JSON fields: __proto__ and constructor keys are plain unknown fields', () => {
    const body: unknown = JSON.parse('{"prompt":"p","__proto__":{"mode":"8k","prompt":5},"constructor":{"prototype":{"x":1}}}');
    expect(parseKlingCreate(body, T2V)).toMatchObject({ prompt: 'p', tier: 'std' });
    expect(({} as Record<string, unknown>)['mode']).toBeUndefined();
    expect(parseKlingCreate(Object.assign(Object.create(null) as object, { prompt: 'p' }), T2V).prompt).toBe('p');
  });

  it('turns a body that throws while being read into an AppError', () => {
    const hostile = Object.defineProperty({}, 'prompt', { enumerable: true, get: () => { throw new Error('boom'); } });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(failure(hostile).message).toBe('request body must be a JSON object');
    expect(failure(revoked.proxy).message).toBe('request body must be a JSON object');
  });

  it('sorts shots by index', () => {
    const body = customize([2, 3], { multi_prompt: [{ index: 2, prompt: 'b', duration: 3 }, { index: 1, prompt: 'a', duration: 2 }] });
    expect(parseKlingCreate(body, T2V).shots.map((s) => s.prompt)).toEqual(['a', 'b']);
  });
});

describe('parseKlingCreate: image2video', () => {
  it('reads image and image_tail, and ignores them on text2video', () => {
    const body = { ...BASE, image: 'https://example.com/a.png', image_tail: 'aGVsbG8=' };
    expect(parseKlingCreate(body, I2V)).toMatchObject({ firstFrame: 'https://example.com/a.png', lastFrame: 'aGVsbG8=' });
    expect(parseKlingCreate(body, T2V)).toMatchObject({ firstFrame: null, lastFrame: null });
  });

  it.each([
    ['no image at all', { ...BASE, image: '' }, 'image is required for image-to-video unless a last frame is given'],
    ['a data: URI', { ...BASE, image: 'data:image/png;base64,aGVsbG8=' }, 'image must be an http(s) URL or raw base64 without a data: prefix'],
    ['image_tail with camera_control', { ...BASE, image_tail: 'aGVsbG8=', camera_control: { type: 'down_back' } }, 'camera_control cannot be combined with a last frame'],
    ['image_tail with multi-shot', { ...BASE, image_tail: 'aGVsbG8=', multi_shot: true, shot_type: 'intelligence' }, 'image_tail is not supported with multi-shot'],
  ])('rejects %s', (_name, body, message) => {
    expect(failure(body, I2V).message).toBe(message);
  });
});

/** Whole-second shot durations summing to `total`, 1..6 of them. */
const split = (total: number) =>
  fc.integer({ min: 1, max: Math.min(6, total) }).chain((k) =>
    fc.uniqueArray(fc.integer({ min: 1, max: total - 1 }), { minLength: k - 1, maxLength: k - 1 }).map((cuts) => {
      const marks = [0, ...cuts.sort((a, b) => a - b), total];
      return marks.slice(1).map((m, i) => m - (marks[i] ?? 0));
    }),
  );
const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && !s.includes('<<<'));
const validCase = fc
  .record({
    options: fc.constantFrom(T2V, I2V),
    image: fc.constantFrom('https://example.com/first.png', 'aGVsbG8='),
    tier: fc.constantFrom('std', 'pro', '4k'),
    aspect: fc.constantFrom('16:9', '9:16', '1:1'),
    duration: fc.integer({ min: 3, max: 15 }),
    asString: fc.boolean(),
    voices: fc.array(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== ''), { maxLength: 2 }),
    prompt: text,
    multi: fc.boolean(),
  })
  .chain((r) => (r.multi ? split(r.duration) : fc.constant([]))
    .chain((ds) => fc.tuple(fc.shuffledSubarray(ds.map((d, i) => ({ index: i + 1, duration: d })), { minLength: ds.length }), fc.array(text, { minLength: ds.length, maxLength: ds.length })))
    .map(([order, prompts]) => ({ ...r, shotList: order.map((s, i) => ({ ...s, prompt: prompts[i] ?? 'p' })) })));
type ValidCase = typeof validCase extends fc.Arbitrary<infer T> ? T : never;

function toBody(v: ValidCase): Record<string, unknown> {
  return {
    model_name: 'kling-v3', prompt: v.prompt, mode: v.tier, aspect_ratio: v.aspect, image: v.image,
    duration: v.asString ? String(v.duration) : v.duration,
    sound: v.voices.length > 0 ? 'on' : 'off', voice_list: v.voices.map((voice_id) => ({ voice_id })),
    ...(v.multi ? { multi_shot: true, shot_type: 'customize', multi_prompt: v.shotList.map((s) => ({ ...s, duration: String(s.duration) })) } : {}),
  };
}

const garbage = fc.oneof(fc.jsonValue(), fc.anything());
const WIRE_KEYS = [...Object.keys(customize([5], { sound: 1, voice_list: 1, negative_prompt: 1, cfg_scale: 1, mode: 1, camera_control: 1, aspect_ratio: 1, watermark_info: 1, callback_url: 1, external_task_id: 1, model: 1 })), 'image', 'image_tail', '__proto__', 'constructor'];
/** A valid body with a few fields (top-level or inside one shot) replaced by anything at all. */
const mutatedBody = fc
  .tuple(validCase, fc.dictionary(fc.constantFrom(...WIRE_KEYS), garbage, { maxKeys: 3 }), fc.option(fc.tuple(fc.nat(5), fc.constantFrom('index', 'prompt', 'duration'), garbage)))
  .map(([v, over, shotOver]) => {
    const body = { ...toBody(v), ...over };
    const list = body['multi_prompt'];
    if (shotOver && Array.isArray(list) && list.length > 0) {
      const [at, key, value] = shotOver;
      body['multi_prompt'] = list.map((s: unknown, i) => (i === at % list.length ? { ...(s as object), [key]: value } : s));
    }
    return { body, options: v.options };
  });

describe('parseKlingCreate: properties', () => {
  it('throws only AppErrors, whose message starts with their field, or returns a valid request', () => {
    const anyInput = fc.record({ body: garbage, options: fc.constantFrom(T2V, I2V) });
    fc.assert(
      fc.property(fc.oneof(anyInput, mutatedBody), ({ body, options }) => {
        try {
          const req = parseKlingCreate(body, options);
          expect(checkVideoRequest(req, { kind: options.kind })).toBeNull();
        } catch (e) {
          expect(e).toBeInstanceOf(AppError);
          const error = e as AppError;
          if (error.field !== undefined) expect(error.message.startsWith(error.field)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every valid body and keeps its values', () => {
    fc.assert(
      fc.property(validCase, (v) => {
        const req = parseKlingCreate(toBody(v), v.options);
        expect(req).toMatchObject({ duration: v.duration, tier: v.tier, aspectRatio: v.aspect, voiceIds: v.voices, sound: v.voices.length > 0 });
        expect(req.firstFrame).toBe(v.options.kind === 'image2video' ? v.image : null);
        const inOrder = [...v.shotList].sort((a, b) => a.index - b.index);
        expect(req.shots).toEqual(inOrder.map((s) => ({ index: s.index, prompt: s.prompt, duration: s.duration })));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseKlingCreate: element_list (image2video)', () => {
  const I2V = { models: ['kling-v3'], kind: 'image2video' as const };
  const base = { model_name: 'kling-v3', prompt: 'p', image: 'https://example.com/a.png' };
  it('maps element ids (number or numeric string) to saved elements', () => {
    expect(parseKlingCreate({ ...base, element_list: [{ element_id: 42 }, { element_id: '7' }] }, I2V).elements).toEqual([
      { kind: 'saved', elementId: '42' },
      { kind: 'saved', elementId: '7' },
    ]);
  });
  it('refuses more than three, and element_list with voice_list', () => {
    const four = Array.from({ length: 4 }, (_, i) => ({ element_id: i + 1 }));
    expect(() => parseKlingCreate({ ...base, element_list: four }, I2V)).toThrow('element_list must hold at most 3 elements');
    expect(() => parseKlingCreate({ ...base, sound: 'on', voice_list: [{ voice_id: 'v' }], element_list: [{ element_id: 1 }] }, I2V)).toThrow('element_list cannot be combined with voices');
    expect(() => parseKlingCreate({ ...base, element_list: [{ element_id: 'x1' }] }, I2V)).toThrow(/^element_list\[0\]\.element_id must be a numeric element id$/);
  });
});
