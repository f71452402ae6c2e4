import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { formFields, parseOpenAiCreate } from '../../src/dialects/openai/parse-create.ts';
import { OPENAI_SIZES, sizeOf } from '../../src/dialects/openai/sizes.ts';
import { parseOpenAiListQuery } from '../../src/dialects/openai/list-query.ts';
import { appErrorOf } from '../support/app-error.ts';

const models = ['kling-v3', 'kling-v3-turbo'];
const parse = (body: unknown) => parseOpenAiCreate(body, { models });

const failure = (run: () => unknown): AppError => appErrorOf(run, 'expected a refusal');

describe('OpenAI create body', () => {
  it('accepts the OpenAI example shape with a Kling model: seconds and size as strings', () => {
    expect(parse({ model: 'kling-v3', prompt: 'A calico cat playing a piano on stage', seconds: '8', size: '1280x720' })).toMatchObject({
      model: 'kling-v3',
      prompt: 'A calico cat playing a piano on stage',
      duration: 8,
      tier: 'std',
      aspectRatio: '16:9',
      sound: true,
      multiShot: null,
    });
  });

  it('maps every accepted size onto tier and aspect, and back', () => {
    const expected: Record<string, [string, string]> = {
      '1280x720': ['std', '16:9'], '720x1280': ['std', '9:16'], '720x720': ['std', '1:1'],
      '1920x1080': ['pro', '16:9'], '1080x1920': ['pro', '9:16'], '1080x1080': ['pro', '1:1'],
      '3840x2160': ['4k', '16:9'], '2160x3840': ['4k', '9:16'], '2160x2160': ['4k', '1:1'],
    };
    expect([...OPENAI_SIZES.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [size, [tier, aspect]] of Object.entries(expected)) {
      const req = parse({ prompt: 'x', size });
      expect([req.tier, req.aspectRatio]).toEqual([tier, aspect]);
      expect(sizeOf(req.tier, req.aspectRatio)).toBe(size);
    }
  });

  it('defaults like OpenAI: kling-v3, 4 seconds, 720x1280, with sound', () => {
    expect(parse({ prompt: 'x' })).toMatchObject({ model: 'kling-v3', duration: 4, tier: 'std', aspectRatio: '9:16', sound: true });
  });

  it('takes mode and aspect_ratio without size, and when they agree with size', () => {
    expect(parse({ prompt: 'x', mode: 'pro', aspect_ratio: '1:1' })).toMatchObject({ tier: 'pro', aspectRatio: '1:1' });
    expect(parse({ prompt: 'x', size: '1920x1080', mode: 'pro', aspect_ratio: '16:9' })).toMatchObject({ tier: 'pro', aspectRatio: '16:9' });
  });

  it('takes seconds as a JSON integer too, and sound as a boolean or a word', () => {
    expect(parse({ prompt: 'x', seconds: 12 }).duration).toBe(12);
    expect(parse({ prompt: 'x', sound: false }).sound).toBe(false);
    expect(parse({ prompt: 'x', sound: 'off' }).sound).toBe(false);
    expect(parse({ prompt: 'x', sound: 'true' }).sound).toBe(true);
  });

  it('accepts every whole second from 3 to 15, not only OpenAI 4/8/12', () => {
    for (let s = 3; s <= 15; s++) expect(parse({ prompt: 'x', seconds: String(s) }).duration).toBe(s);
  });

  it('reads form fields as text: empty means absent, files and repeats are refused', () => {
    const fields = formFields({ model: 'kling-v3-turbo', prompt: 'x', seconds: '6', size: '', sound: 'false' });
    expect(parse(fields)).toMatchObject({ model: 'kling-v3-turbo', duration: 6, tier: 'std', aspectRatio: '9:16', sound: false });
    expect(failure(() => formFields({ prompt: 'x', seconds: ['4', '8'] })).message).toBe('seconds must be sent once, not 2 times');
    expect(failure(() => formFields({ prompt: new File(['x'], 'p.txt') })).message).toBe('prompt must be a text field, not a file');
    expect(failure(() => formFields({ input_reference: new File(['x'], 'a.png') })).message).toMatch(/^input_reference is not supported/);
  });

  it('names the field and the rule of every refused body, as invalid_value or model_not_found', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ prompt: 'x', model: 'sora-2' }, 'model', /^model 'sora-2' is not available; available models: kling-v3, kling-v3-turbo$/],
      [{ prompt: 'x', seconds: '16' }, 'seconds', /^seconds must be an integer between 3 and 15$/],
      [{ prompt: 'x', seconds: '2' }, 'seconds', /^seconds must be an integer between 3 and 15$/],
      [{ prompt: 'x', seconds: '4.5' }, 'seconds', /^seconds must be an integer between 3 and 15$/],
      [{ prompt: 'x', seconds: 4.5 }, 'seconds', /^seconds must be an integer between 3 and 15$/],
      [{ prompt: 'x', seconds: true }, 'seconds', /^seconds must be a string of whole seconds/],
      [{ prompt: 'x', size: '1024x1792' }, 'size', /^size must be one of: 1280x720, 720x1280, 720x720, 1920x1080, 1080x1920, 1080x1080, 3840x2160, 2160x3840, 2160x2160 \(got '1024x1792'\)$/],
      [{ prompt: 'x', size: '1280x720', aspect_ratio: '9:16' }, 'aspect_ratio', /^aspect_ratio 9:16 does not match size 1280x720, which is 16:9/],
      [{ prompt: 'x', size: '1280x720', mode: 'pro' }, 'mode', /^mode pro does not match size 1280x720, which is std/],
      [{ prompt: 'x', mode: '8k' }, 'mode', /^mode must be one of: std, pro, 4k$/],
      [{ prompt: 'x', sound: 'yes' }, 'sound', /^sound must be one of/],
      [{ prompt: 'x', model: 'kling-v3-turbo', size: '3840x2160' }, 'size', /^size 4k is not available for kling-v3-turbo/],
      [{ prompt: 'x', input_reference: { image_url: 'https://example.com/a.png' } }, 'input_reference', /^input_reference is not supported/],
      [{}, 'prompt', /^prompt is required and must be a string$/],
      [{ prompt: '' }, 'prompt', /^prompt is required/],
      [{ prompt: 'x'.repeat(2501) }, 'prompt', /^prompt must be at most 2500 characters$/],
      [{ prompt: 'x', negative_prompt: 7 }, 'negative_prompt', /^negative_prompt must be a string$/],
    ];
    for (const [body, field, message] of cases) {
      const e = failure(() => parse(body));
      expect(e.message).toMatch(message);
      expect(e.field).toBe(field);
    }
    expect(failure(() => parse('prompt')).message).toBe('request body must be a JSON object');
  });

  it('offers only the models the server serves', () => {
    const e = failure(() => parseOpenAiCreate({ prompt: 'x', model: 'kling-v3-turbo' }, { models: ['kling-v3'] }));
    expect(e).toMatchObject({ code: 'model_not_found', message: "model 'kling-v3-turbo' is not available; available models: kling-v3" });
  });
});

describe('OpenAI list query', () => {
  it('defaults to 20 newest first and checks limit and order', () => {
    expect(parseOpenAiListQuery({})).toEqual({ after: null, limit: 20, order: 'desc' });
    expect(parseOpenAiListQuery({ after: 'video_1', limit: '100', order: 'asc' })).toEqual({ after: 'video_1', limit: 100, order: 'asc' });
    for (const limit of ['0', '101', 'ten', '1.5', '-1']) {
      expect(failure(() => parseOpenAiListQuery({ limit })).message).toBe('limit must be an integer between 1 and 100');
    }
    expect(failure(() => parseOpenAiListQuery({ order: 'newest' })).message).toBe('order must be one of: asc, desc');
  });
});
