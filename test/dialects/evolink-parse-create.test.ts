import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvolinkCreate } from '../../src/dialects/evolink/parse-create.ts';
import { AppError } from '../../src/domain/errors.ts';
import { checkVideoRequest } from '../../src/domain/video-request.ts';
import { appErrorOf, expectFieldRefusal } from '../support/app-error.ts';
import { SEED_002_SHOTS } from '../support/kling-examples.ts';
import { EVOLINK_SEED_002, EVOLINK_SPEC_EXAMPLE } from '../support/unified-examples.ts';
import { videoRequest } from '../support/video-request.ts';

const SERVED = { models: ['kling-v3', 'kling-v3-turbo'] } as const;

/** Seed 000's documented values, every field at once. */
const SEED_000 = {
  model: 'kling-v3-text-to-video',
  prompt: 'An ancient Japanese courtyard, raindrops slowly falling into a pond, creating ripples <<<voice_1>>>',
  quality: '720p',
  generate_audio: true,
  negative_prompt: 'blurry, low quality, watermark, text overlay',
  aspect_ratio: '16:9',
  duration: 5,
  voice_ids: ['voice_123456'],
};

const failure = (body: unknown, options: { models: readonly string[] } = SERVED): AppError => appErrorOf(() => parseEvolinkCreate(body, options));

describe('parseEvolinkCreate: the documented requests', () => {
  it('parses the spec example with EvoLink defaults mapped onto the canonical model', () => {
    expect(parseEvolinkCreate(EVOLINK_SPEC_EXAMPLE, SERVED)).toEqual(
      videoRequest({
        model: 'kling-v3',
        prompt: 'A cat running on a grass field under bright sunshine',
        duration: 5, tier: 'std', aspectRatio: '16:9', sound: false, watermark: false, callbackUrl: null,
      }),
    );
  });

  it('parses seed 000: generate_audio, negative_prompt and voice_ids', () => {
    const req = parseEvolinkCreate(SEED_000, SERVED);
    expect(req).toMatchObject({ sound: true, voiceIds: ['voice_123456'], negativePrompt: 'blurry, low quality, watermark, text overlay', tier: 'std' });
  });

  it('parses seed 002 on the turbo model with its callback_url', () => {
    expect(parseEvolinkCreate(EVOLINK_SEED_002, SERVED)).toMatchObject({ model: 'kling-v3-turbo', callbackUrl: 'https://your-domain.com/webhooks/video-task-completed', multiShot: null });
  });

  it('maps quality 720p/1080p/4k to std/pro/4k, and sound on or generate_audio to audio', () => {
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, quality: '1080p' }, SERVED).tier).toBe('pro');
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, quality: '4k' }, SERVED).tier).toBe('4k');
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, quality: undefined }, SERVED).tier).toBe('std');
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, sound: 'on' }, SERVED).sound).toBe(true);
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, sound: 'off', generate_audio: false }, SERVED).sound).toBe(false);
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, duration: undefined }, SERVED).duration).toBe(5);
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, duration: 15 }, SERVED).duration).toBe(15);
  });

  it('reads seed 000 multi_prompt segments as customized shots, in index order', () => {
    const req = parseEvolinkCreate(
      { ...EVOLINK_SPEC_EXAMPLE, prompt: '', duration: 10, multi_prompt: [{ prompt: 'a door opens', duration: 4 }, { prompt: 'a dog runs in', duration: 6 }] },
      SERVED,
    );
    expect(req.multiShot).toBe('customize');
    expect(req.shots).toEqual([
      { index: 1, prompt: 'a door opens', duration: 4 },
      { index: 2, prompt: 'a dog runs in', duration: 6 },
    ]);
    const sorted = parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, multi_prompt: [{ index: 2, prompt: 'b', duration: '2' }, { index: 1, prompt: 'a', duration: 3 }] }, SERVED);
    expect(sorted.shots.map((s) => s.prompt)).toEqual(['a', 'b']);
  });

  it('reads model_params: multi_shot, shot_type, multi_prompt and watermark', () => {
    const req = parseEvolinkCreate(
      { ...EVOLINK_SPEC_EXAMPLE, model_params: { multi_shot: true, shot_type: 'customize', multi_prompt: [{ index: 1, prompt: 'a', duration: 2 }, { index: 2, prompt: 'b', duration: 3 }], watermark: true } },
      SERVED,
    );
    expect(req).toMatchObject({ multiShot: 'customize', watermark: true });
    expect(req.shots).toHaveLength(2);
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, model_params: { multi_shot: true, shot_type: 'intelligence' } }, SERVED)).toMatchObject({ multiShot: 'intelligence', shots: [] });
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, model_params: { multi_shot: false, shot_type: 'customize', multi_prompt: [] } }, SERVED).multiShot).toBeNull();
  });

  it('reads the turbo shot syntax into shots and takes it out of the prompt', () => {
    const req = parseEvolinkCreate({ ...EVOLINK_SEED_002, prompt: `Golden hour. ${SEED_002_SHOTS}` }, SERVED);
    expect(req).toMatchObject({ model: 'kling-v3-turbo', multiShot: 'customize', prompt: 'Golden hour.' });
    expect(req.shots).toEqual([
      { index: 1, prompt: 'the girl walks toward the window', duration: 3 },
      { index: 2, prompt: 'the camera zooms into her profile', duration: 2 },
    ]);
  });

  it('leaves the syntax as text on the standard model and when model_params.multi_shot is false', () => {
    expect(parseEvolinkCreate({ ...EVOLINK_SPEC_EXAMPLE, prompt: SEED_002_SHOTS }, SERVED)).toMatchObject({ prompt: SEED_002_SHOTS, multiShot: null });
    expect(parseEvolinkCreate({ ...EVOLINK_SEED_002, prompt: SEED_002_SHOTS, model_params: { multi_shot: false } }, SERVED)).toMatchObject({ prompt: SEED_002_SHOTS, multiShot: null });
  });
});

describe('parseEvolinkCreate: errors name the wire field and the rule', () => {
  const cases: Array<[string, unknown, string | undefined, RegExp]> = [
    ['duration out of range', { ...EVOLINK_SPEC_EXAMPLE, duration: 16 }, 'duration', /^duration must be an integer between 3 and 15$/],
    ['fractional duration', { ...EVOLINK_SPEC_EXAMPLE, duration: 5.5 }, 'duration', /^duration must be an integer between 3 and 15$/],
    ['quoted duration', { ...EVOLINK_SPEC_EXAMPLE, duration: '5' }, 'duration', /^duration must be a plain JSON number/],
    ['unknown quality', { ...EVOLINK_SPEC_EXAMPLE, quality: '8k' }, 'quality', /^quality must be one of: 720p, 1080p, 4k$/],
    ['4k on turbo', { ...EVOLINK_SEED_002, quality: '4k' }, 'quality', /^quality 4k is not available for kling-v3-turbo/],
    ['bad aspect ratio', { ...EVOLINK_SPEC_EXAMPLE, aspect_ratio: '4:3' }, 'aspect_ratio', /^aspect_ratio must be one of: 16:9, 9:16, 1:1$/],
    ['sound not on/off', { ...EVOLINK_SPEC_EXAMPLE, sound: true }, 'sound', /^sound must be one of: on, off$/],
    ['generate_audio not a boolean', { ...EVOLINK_SPEC_EXAMPLE, generate_audio: 'yes' }, 'generate_audio', /^generate_audio must be a boolean/],
    ['three voices', { ...SEED_000, voice_ids: ['a', 'b', 'c'] }, 'voice_ids', /^voice_ids must hold at most 2 voices$/],
    ['voices without audio', { ...SEED_000, generate_audio: false }, 'voice_ids', /^voice_ids requires sound to be on$/],
    ['an empty voice id', { ...SEED_000, voice_ids: [''] }, 'voice_ids[0]', /^voice_ids\[0\] must be a non-empty string$/],
    ['no prompt', { model: 'kling-v3-text-to-video' }, 'prompt', /^prompt is required unless multi-shot is customized$/],
    ['a long prompt', { ...EVOLINK_SPEC_EXAMPLE, prompt: 'x'.repeat(2501) }, 'prompt', /^prompt must be at most 2500 characters$/],
    ['shots not summing', { ...EVOLINK_SPEC_EXAMPLE, multi_prompt: [{ prompt: 'a', duration: 3 }, { prompt: 'b', duration: 3 }] }, 'multi_prompt', /^multi_prompt durations must add up to the total duration \(5\), not 6$/],
    ['a long shot', { ...EVOLINK_SPEC_EXAMPLE, multi_prompt: [{ prompt: 'a', duration: 2 }, { prompt: 'x'.repeat(513), duration: 3 }] }, 'multi_prompt[1].prompt', /^multi_prompt\[1\]\.prompt must be at most 512 characters$/],
    ['a shot without duration', { ...EVOLINK_SPEC_EXAMPLE, model_params: { shot_type: 'customize', multi_prompt: [{ prompt: 'a' }] } }, 'model_params.multi_prompt[0].duration', /^model_params\.multi_prompt\[0\]\.duration must be an integer between 1/],
    ['multi_shot without shot_type', { ...EVOLINK_SPEC_EXAMPLE, model_params: { multi_shot: true } }, 'model_params.shot_type', /^model_params\.shot_type is required when model_params\.multi_shot is true$/],
    ['customize without shots', { ...EVOLINK_SPEC_EXAMPLE, model_params: { multi_shot: true, shot_type: 'customize' } }, 'model_params.multi_prompt', /must hold between 1 and 6 shots/],
    ['bad shot_type', { ...EVOLINK_SPEC_EXAMPLE, model_params: { shot_type: 'auto' } }, 'model_params.shot_type', /^model_params\.shot_type must be one of: customize, intelligence$/],
    ['multi_prompt twice', { ...EVOLINK_SPEC_EXAMPLE, multi_prompt: [], model_params: { multi_prompt: [] } }, 'multi_prompt', /must be given once/],
    ['model_params not an object', { ...EVOLINK_SPEC_EXAMPLE, model_params: 'x' }, 'model_params', /^model_params must be an object$/],
    ['a callback that is no http URL', { ...EVOLINK_SEED_002, callback_url: 'ftp://example.com/x' }, 'callback_url', /^callback_url must be an absolute http\(s\) URL$/],
    ['an unknown model', { ...EVOLINK_SPEC_EXAMPLE, model: 'kling-v9-text-to-video' }, 'model', /^model 'kling-v9-text-to-video' is not available; available models: kling-v3-text-to-video, kling-v3-turbo-text-to-video$/],
    ['a model number', { ...EVOLINK_SPEC_EXAMPLE, model: 3 }, 'model', /^model must be a string$/],
    ['turbo shots not summing', { ...EVOLINK_SEED_002, prompt: '镜头 1, 3, a; 镜头 2, 1, b;' }, 'prompt', /^prompt shot syntax \(镜头 n, m, words;\) durations must add up to the total duration \(5\), not 4$/],
    ['a long turbo shot', { ...EVOLINK_SEED_002, prompt: `镜头 1, 3, a; 镜头 2, 2, ${'x'.repeat(513)};` }, 'prompt', /^prompt \(镜头 2\) words must be at most 512 characters$/],
    ['seven turbo shots', { ...EVOLINK_SEED_002, duration: 7, prompt: [1, 2, 3, 4, 5, 6, 7].map((n) => `镜头 ${n}, 1, s${n};`).join(' ') }, 'prompt', /^prompt shot syntax .* must hold between 1 and 6 shots/],
    ['turbo shots out of order', { ...EVOLINK_SEED_002, prompt: '镜头 1, 3, a; 镜头 3, 2, b;' }, 'prompt', /^prompt shot 2 \(镜头 3\) is out of order/],
    ['turbo syntax with multi_prompt', { ...EVOLINK_SEED_002, prompt: SEED_002_SHOTS, multi_prompt: [{ prompt: 'a', duration: 5 }] }, 'prompt', /cannot be combined with multi_prompt/],
    ['an array body', [EVOLINK_SPEC_EXAMPLE], undefined, /^request body must be a JSON object$/],
  ];
  for (const [name, body, field, message] of cases) {
    it(`refuses ${name}`, () => {
      const e = failure(body);
      expect(e.code).toBe('invalid_parameter');
      expect(e.status).toBe(400);
      expect(e.message).toMatch(message);
      expect(e.field).toBe(field);
    });
  }

  it('refuses a model this server does not serve', () => {
    const e = failure(EVOLINK_SEED_002, { models: ['kling-v3'] });
    expect(e.message).toBe("model 'kling-v3-turbo-text-to-video' is not available; available models: kling-v3-text-to-video");
  });

  it('returns a request the domain accepts, or an AppError naming a field, for any body (property)', () => {
    const body = fc.record(
      {
        model: fc.constantFrom('kling-v3-text-to-video', 'kling-v3-turbo-text-to-video', 'x'),
        prompt: fc.oneof(fc.string(), fc.constant('镜头 1, 2, a; 镜头 2, 3, b;'), fc.integer()),
        duration: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.string(), fc.double()),
        quality: fc.constantFrom('720p', '1080p', '4k', 'x'),
        sound: fc.constantFrom('on', 'off', true),
        generate_audio: fc.oneof(fc.boolean(), fc.string()),
        voice_ids: fc.array(fc.string(), { maxLength: 3 }),
        multi_prompt: fc.array(fc.record({ prompt: fc.string(), duration: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.string()) }, { requiredKeys: [] }), { maxLength: 7 }),
        model_params: fc.record({ multi_shot: fc.boolean(), shot_type: fc.constantFrom('customize', 'intelligence', 'x'), watermark: fc.boolean() }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(body, fc.jsonValue()), (b) => {
        try {
          const req = parseEvolinkCreate(b, SERVED);
          expect(checkVideoRequest(req)).toBeNull();
        } catch (e) {
          expectFieldRefusal(e);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
