import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseApimartCreate } from '../../src/dialects/apimart/parse-create.ts';
import { AppError } from '../../src/domain/errors.ts';
import { checkVideoRequest } from '../../src/domain/video-request.ts';
import { appErrorOf, expectFieldRefusal } from '../support/app-error.ts';
import { APIMART_CASE_1, APIMART_PROMPT } from '../support/unified-examples.ts';
import { videoRequest } from '../support/video-request.ts';

const SERVED = { models: ['kling-v3', 'kling-v3-turbo'] } as const;
const FIRST = 'https://example.com/first.jpg';
const LAST = 'https://example.com/last.jpg';

/** Seed 004's use cases 1-7, with the values its page shows. */
const CASES = {
  textStd: APIMART_CASE_1,
  textProNegative: { model: 'kling-v3', prompt: APIMART_PROMPT, mode: 'pro', duration: 10, negative_prompt: 'blurry, low quality, distorted' },
  text15: { model: 'kling-v3', prompt: APIMART_PROMPT, duration: 15 },
  firstFrame: { model: 'kling-v3', prompt: APIMART_PROMPT, image_urls: [FIRST] },
  firstLast: { model: 'kling-v3', prompt: APIMART_PROMPT, image_urls: [FIRST, LAST] },
  audio: { model: 'kling-v3', prompt: APIMART_PROMPT, audio: true },
  multiShot: {
    model: 'kling-v3',
    multi_shot: true,
    shot_type: 'customize',
    duration: 15,
    aspect_ratio: '9:16',
    audio: true,
    multi_prompt: [
      { index: 1, prompt: 'a dog wakes up', duration: 5 },
      { index: 2, prompt: 'the dog runs to the beach', duration: 5 },
      { index: 3, prompt: 'the dog watches the sunset', duration: 5 },
    ],
  },
} as const;

const ELEMENTS = [
  { name: 'element_dog', description: 'a golden retriever', element_input_urls: ['https://example.com/dog1.jpg', 'https://example.com/dog2.jpg'] },
  { name: 'element_cat', description: 'a grey cat', element_input_urls: ['https://example.com/cat1.jpg', 'https://example.com/cat2.jpg', 'https://example.com/cat3.jpg'] },
];

const failure = (body: unknown): AppError => appErrorOf(() => parseApimartCreate(body, SERVED));

describe('parseApimartCreate: the documented requests', () => {
  it('parses every seed 004 use case', () => {
    for (const body of Object.values(CASES)) expect(() => parseApimartCreate(body, SERVED)).not.toThrow();
  });

  it('maps case 1 with APIMart defaults onto the canonical request', () => {
    expect(parseApimartCreate(CASES.textStd, SERVED)).toEqual({
      kind: 'text2video',
      request: videoRequest({
        model: 'kling-v3',
        prompt: APIMART_PROMPT,
        duration: 5, tier: 'std', aspectRatio: '16:9', sound: false, watermark: false, firstFrame: null, lastFrame: null,
      }),
    });
  });

  it('reads mode, negative_prompt, audio, watermark and duration 15', () => {
    expect(parseApimartCreate(CASES.textProNegative, SERVED).request).toMatchObject({ tier: 'pro', duration: 10, negativePrompt: 'blurry, low quality, distorted' });
    expect(parseApimartCreate(CASES.text15, SERVED).request.duration).toBe(15);
    expect(parseApimartCreate(CASES.audio, SERVED).request.sound).toBe(true);
    expect(parseApimartCreate({ ...CASES.textStd, watermark: true, mode: '4k' }, SERVED).request).toMatchObject({ watermark: true, tier: '4k' });
  });

  it('makes image_urls an image-to-video task: 1 = first frame, 2 = first + last', () => {
    expect(parseApimartCreate(CASES.firstFrame, SERVED)).toMatchObject({ kind: 'image2video', request: { firstFrame: FIRST, lastFrame: null } });
    expect(parseApimartCreate(CASES.firstLast, SERVED)).toMatchObject({ kind: 'image2video', request: { firstFrame: FIRST, lastFrame: LAST } });
    expect(parseApimartCreate({ ...CASES.textStd, image_urls: [] }, SERVED).kind).toBe('text2video');
  });

  it('reads case 7 as customized shots and allows it without a prompt', () => {
    const { request } = parseApimartCreate(CASES.multiShot, SERVED);
    expect(request).toMatchObject({ multiShot: 'customize', prompt: '', duration: 15, aspectRatio: '9:16', sound: true });
    expect(request.shots.map((s) => s.index)).toEqual([1, 2, 3]);
  });

  it('ignores shot_type and multi_prompt unless multi_shot is true, as Kling does', () => {
    expect(parseApimartCreate({ ...CASES.textStd, shot_type: 'x', multi_prompt: 'y' }, SERVED).request.multiShot).toBeNull();
  });

  it('reads elements as subjects mentioned by @name', () => {
    const { request } = parseApimartCreate({ ...CASES.textStd, prompt: '@element_dog chasing @element_cat on grass', elements: ELEMENTS }, SERVED);
    expect(request.elements).toEqual([
      { kind: 'subject', name: 'element_dog', description: 'a golden retriever', imageUrls: ELEMENTS[0]?.element_input_urls },
      { kind: 'subject', name: 'element_cat', description: 'a grey cat', imageUrls: ELEMENTS[1]?.element_input_urls },
    ]);
  });
});

describe('parseApimartCreate: errors name the wire field and the rule', () => {
  const shots = (durations: number[], indexes = durations.map((_, i) => i + 1)) =>
    durations.map((d, i) => ({ index: indexes[i], prompt: `shot ${i}`, duration: d }));
  const customize = (durations: number[], indexes?: number[]) => ({
    ...CASES.textStd,
    multi_shot: true,
    shot_type: 'customize',
    duration: durations.reduce((a, b) => a + b, 0),
    multi_prompt: shots(durations, indexes),
  });
  const cases: Array<[string, unknown, string | undefined, RegExp]> = [
    ['a quoted duration (documented)', { ...CASES.textStd, duration: '5' }, 'duration', /^duration must be a plain JSON number such as 5, not a quoted string$/],
    ['duration 2', { ...CASES.textStd, duration: 2 }, 'duration', /^duration must be an integer between 3 and 15$/],
    ['duration 16', { ...CASES.textStd, duration: 16 }, 'duration', /^duration must be an integer between 3 and 15$/],
    ['an unknown mode', { ...CASES.textStd, mode: '720p' }, 'mode', /^mode must be one of: std, pro, 4k$/],
    ['three images', { ...CASES.firstLast, image_urls: [FIRST, LAST, FIRST] }, 'image_urls', /^image_urls must hold at most 2 images: 1 = first frame, 2 = first \+ last frame$/],
    ['a last frame without a first', { ...CASES.firstLast, image_urls: ['', LAST] }, 'image_urls[0]', /^image_urls\[0\] must be an http\(s\) URL$/],
    ['an image that is no URL', { ...CASES.firstFrame, image_urls: ['data:image/png;base64,AAAA'] }, 'image_urls[0]', /must be an http\(s\) URL/],
    ['a last frame with multi-shot', { ...customize([2, 3]), image_urls: [FIRST, LAST] }, 'image_urls[1]', /^image_urls\[1\] is not supported with multi-shot$/],
    ['audio as a string', { ...CASES.textStd, audio: 'true' }, 'audio', /^audio must be a boolean/],
    ['watermark as a string', { ...CASES.textStd, watermark: 'yes' }, 'watermark', /^watermark must be a boolean/],
    ['no prompt for a single shot', { model: 'kling-v3' }, 'prompt', /^prompt is required unless multi-shot is customized$/],
    ['multi_shot without shot_type', { ...CASES.textStd, multi_shot: true }, 'shot_type', /^shot_type is required when multi_shot is true$/],
    ['seven shots', customize([1, 1, 1, 1, 1, 1, 1]), 'multi_prompt', /^multi_prompt must hold between 1 and 6 shots/],
    ['indexes from 0', customize([2, 3], [0, 1]), 'multi_prompt[0].index', /^multi_prompt\[0\]\.index must be 1: shot indexes run 1\.\.n without gaps$/],
    ['indexes with a gap', customize([2, 3], [1, 3]), 'multi_prompt[1].index', /must be 2: shot indexes run 1\.\.n without gaps$/],
    ['shots not summing', { ...customize([2, 3]), duration: 6 }, 'multi_prompt', /^multi_prompt durations must add up to the total duration \(6\), not 5$/],
    ['a shot over 512', { ...customize([2, 3]), multi_prompt: [{ index: 1, prompt: 'a', duration: 2 }, { index: 2, prompt: 'x'.repeat(513), duration: 3 }] }, 'multi_prompt[1].prompt', /must be at most 512 characters/],
    ['a shot index that is no integer', { ...customize([5]), multi_prompt: [{ index: '1', prompt: 'a', duration: 5 }] }, 'multi_prompt[0].index', /^multi_prompt\[0\]\.index must be an integer$/],
    ['four elements', { ...CASES.textStd, elements: [...ELEMENTS, ...ELEMENTS.map((e) => ({ ...e, name: `${e.name}2` }))] }, 'elements', /^elements must hold at most 3 elements$/],
    ['an element with one image', { ...CASES.textStd, elements: [{ ...ELEMENTS[0], element_input_urls: ['https://example.com/a.jpg'] }] }, 'elements[0].element_input_urls', /^elements\[0\]\.element_input_urls must hold between 2 and 4 images$/],
    ['an element without description', { ...CASES.textStd, elements: [{ name: 'dog', element_input_urls: ELEMENTS[0]?.element_input_urls }] }, 'elements[0].description', /^elements\[0\]\.description must be a string$/],
    ['a mention of a missing element', { ...CASES.textStd, prompt: '@element_fox runs', elements: ELEMENTS }, 'prompt', /^prompt mentions @element_fox but no element has that name$/],
    ['an unknown model', { ...CASES.textStd, model: 'kling-v2' }, 'model', /^model 'kling-v2' is not available; available models: kling-v3$/],
    ['a string body', 'kling', undefined, /^request body must be a JSON object$/],
  ];
  for (const [name, body, field, message] of cases) {
    it(`refuses ${name}`, () => {
      const e = failure(body);
      expect(e.status).toBe(400);
      expect(e.message).toMatch(message);
      expect(e.field).toBe(field);
    });
  }

  it('returns a request the domain accepts, or an AppError naming a field, for any body (property)', () => {
    const body = fc.record(
      {
        model: fc.constantFrom('kling-v3', 'x'),
        prompt: fc.oneof(fc.string(), fc.constant('@a and @b')),
        mode: fc.constantFrom('std', 'pro', '4k', 'x'),
        duration: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.string()),
        image_urls: fc.array(fc.oneof(fc.constant(FIRST), fc.string()), { maxLength: 3 }),
        audio: fc.oneof(fc.boolean(), fc.string()),
        multi_shot: fc.boolean(),
        shot_type: fc.constantFrom('customize', 'intelligence', 'x'),
        multi_prompt: fc.array(fc.record({ index: fc.integer({ min: 0, max: 7 }), prompt: fc.string(), duration: fc.integer({ min: 0, max: 9 }) }), { maxLength: 7 }),
        elements: fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'a b'), description: fc.string(), element_input_urls: fc.array(fc.constant(FIRST), { maxLength: 5 }) }), { maxLength: 4 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(body, fc.jsonValue()), (b) => {
        try {
          const { request, kind } = parseApimartCreate(b, SERVED);
          expect(checkVideoRequest(request, { kind })).toBeNull();
        } catch (e) {
          expectFieldRefusal(e);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
