import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { parseNovitaCreate, type NovitaModel } from '../../src/dialects/novita/parse-create.ts';
import { appErrorOf } from '../support/app-error.ts';

const models = ['kling-v3', 'kling-v3-turbo'];
const parse = (body: unknown, model: NovitaModel = 'kling-v3.0-pro-t2v') => parseNovitaCreate(body, { models, model });

/** Seed 003's body with its placeholders filled in with valid values. */
const SEED_BODY = {
  sound: true,
  prompt: 'A lighthouse on a cliff at dusk, waves crashing',
  duration: 5,
  cfg_scale: 0.5,
  aspect_ratio: '16:9',
  negative_prompt: 'blur, text',
};

const failure = (body: unknown, model?: NovitaModel): AppError => appErrorOf(() => parse(body, model), 'expected the body to be refused');

describe('Novita create body', () => {
  it('accepts the seed body on the pro path: tier from the path, every field mapped', () => {
    expect(parse(SEED_BODY)).toMatchObject({
      model: 'kling-v3',
      prompt: SEED_BODY.prompt,
      negativePrompt: 'blur, text',
      duration: 5,
      tier: 'pro',
      aspectRatio: '16:9',
      sound: true,
      cfgScale: 0.5,
      multiShot: null,
      shots: [],
    });
    expect(parse(SEED_BODY, 'kling-v3.0-std-t2v').tier).toBe('std');
  });

  it('applies the documented defaults: 5 s, 16:9, no sound', () => {
    expect(parse({ prompt: 'a fox' })).toMatchObject({ duration: 5, aspectRatio: '16:9', sound: false, cfgScale: null });
  });

  it('turns multi_prompt items {prompt, duration} into customized shots in order', () => {
    const req = parse({ multi_prompt: [{ prompt: 'a door opens', duration: 2 }, { prompt: 'a cat walks in', duration: 3 }], duration: 5 });
    expect(req.multiShot).toBe('customize');
    expect(req.shots).toEqual([
      { index: 1, prompt: 'a door opens', duration: 2 },
      { index: 2, prompt: 'a cat walks in', duration: 3 },
    ]);
  });

  it('takes the shots total as the duration when none is given, and accepts an empty prompt with shots', () => {
    const req = parse({ prompt: '', multi_prompt: [{ prompt: 'a', duration: 4 }, { prompt: 'b', duration: 3 }] });
    expect(req.duration).toBe(7);
  });

  it('names the wire field and the rule of every refused body', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...SEED_BODY, duration: 123 }, /^duration must be an integer between 3 and 15$/],
      [{ ...SEED_BODY, duration: '5' }, /^duration must be an integer between 3 and 15$/],
      [{ ...SEED_BODY, duration: 5.5 }, /^duration must be an integer between 3 and 15$/],
      [{ ...SEED_BODY, cfg_scale: 123 }, /^cfg_scale must be a number between 0 and 1$/],
      [{ ...SEED_BODY, sound: 'on' }, /^sound must be a boolean$/],
      [{ ...SEED_BODY, aspect_ratio: '4:3' }, /^aspect_ratio must be one of: 16:9, 9:16, 1:1$/],
      [{ ...SEED_BODY, prompt: 'x'.repeat(2501) }, /^prompt must be at most 2500 characters$/],
      [{ ...SEED_BODY, negative_prompt: 'x'.repeat(2501) }, /^negative_prompt must be at most 2500 characters$/],
      [{ ...SEED_BODY, prompt: '' }, /^prompt is required/],
      [{ ...SEED_BODY, multi_prompt: [{}] }, /^multi_prompt\[0\]\.prompt must be a string$/],
      [{ ...SEED_BODY, multi_prompt: [{ prompt: 'a', duration: 5 }] }, /^prompt must be empty when multi_prompt is given/],
      [{ multi_prompt: [{ prompt: 'a', duration: 2 }, { prompt: 'b', duration: 2 }], duration: 5 }, /^multi_prompt durations must add up to the total duration \(5\), not 4$/],
      [{ multi_prompt: [{ prompt: 'a', duration: 0 }, { prompt: 'b', duration: 5 }], duration: 5 }, /^multi_prompt\[0\]\.duration must be an integer between 1/],
      [{ multi_prompt: [{ prompt: 'a', duration: 2, index: 2 }, { prompt: 'b', duration: 3 }], duration: 5 }, /^multi_prompt\[0\]\.index must be 1/],
      [{ multi_prompt: Array.from({ length: 7 }, () => ({ prompt: 'a', duration: 2 })), duration: 14 }, /^multi_prompt must hold between 1 and 6 shots/],
      [{ multi_prompt: 'two shots' }, /^multi_prompt must be an array$/],
      [[SEED_BODY], /^request body must be a JSON object$/],
      [null, /^request body must be a JSON object$/],
    ];
    for (const [body, message] of cases) {
      const e = failure(body);
      expect(e.code).toBe('invalid_parameter');
      expect(e.message).toMatch(message);
    }
  });

  it('answers model_not_found when the server does not serve kling-v3', () => {
    let caught: unknown;
    try {
      parseNovitaCreate(SEED_BODY, { models: ['kling-v3-turbo'], model: 'kling-v3.0-pro-t2v' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'model_not_found', status: 404 });
  });
});
