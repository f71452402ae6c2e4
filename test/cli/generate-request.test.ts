import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKlingCreate } from '../../src/dialects/kling/parse-create.ts';
import { GenerateInputError, MAX_SHOTS, buildGenerateRequest, frameBase64, parseShotsFile, type GenerateInput } from '../../src/cli/generate-request.ts';

const base: GenerateInput = { mode: 'std', aspect: '16:9', sound: false, model: 'kling-v3' };
const MODELS = ['kling-v3'];

const shotArb = fc.record({ prompt: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''), duration: fc.integer({ min: 1, max: 5 }) });
/** Shots files Kling accepts: 1-6 shots adding up to 3-15 s. */
const validShots = fc.array(shotArb, { minLength: 1, maxLength: MAX_SHOTS }).filter((shots) => {
  const sum = shots.reduce((a, s) => a + s.duration, 0);
  return sum >= 3 && sum <= 15;
});

function refusal(work: () => unknown): string {
  try {
    work();
  } catch (e) {
    expect(e).toBeInstanceOf(GenerateInputError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('buildGenerateRequest', () => {
  it('any valid shots file gives a multi-shot body whose string durations add up to the duration, and the server parser takes it', () => {
    fc.assert(
      fc.property(validShots, fc.boolean(), (shots, giveDuration) => {
        const sum = shots.reduce((a, s) => a + s.duration, 0);
        const file = JSON.stringify(shots);
        const { kind, body } = buildGenerateRequest({ ...base, shots: parseShotsFile(file, 'shots.json'), duration: giveDuration ? String(sum) : undefined });
        expect(kind).toBe('text2video');
        expect(body).toMatchObject({ multi_shot: true, shot_type: 'customize', duration: String(sum) });
        expect(body).not.toHaveProperty('prompt');
        const multi = body.multi_prompt as Array<{ index: number; prompt: string; duration: string }>;
        expect(multi.map((s) => s.index)).toEqual(shots.map((_, i) => i + 1));
        expect(multi.every((s) => typeof s.duration === 'string' && /^[1-9]\d*$/.test(s.duration))).toBe(true);
        expect(multi.reduce((a, s) => a + Number(s.duration), 0)).toBe(Number(body.duration));
        const parsed = parseKlingCreate(body, { models: MODELS, kind });
        expect(parsed).toMatchObject({ multiShot: 'customize', duration: sum, shots: shots.map((s, i) => ({ index: i + 1, prompt: s.prompt, duration: s.duration })) });
      }),
    );
  });

  it('a --duration that differs from the shots\' sum is refused, naming both', () => {
    fc.assert(
      fc.property(validShots, fc.integer({ min: 1, max: 30 }), (shots, duration) => {
        const sum = shots.reduce((a, s) => a + s.duration, 0);
        fc.pre(duration !== sum);
        const message = refusal(() => buildGenerateRequest({ ...base, shots, duration: String(duration) }));
        expect(message).toContain(`--duration ${duration} does not match the shots, which add up to ${sum} s`);
      }),
    );
    expect(refusal(() => buildGenerateRequest({ ...base, shots: [{ prompt: 'a', duration: 3 }], duration: '3.0' }))).toMatch(/--duration 3\.0 does not match/);
  });

  it('text2video passes the options through as Kling spells them, duration a string as typed', () => {
    const { kind, body } = buildGenerateRequest({ ...base, prompt: 'a cat', duration: '7', sound: true, negative: 'dogs', mode: 'pro', aspect: '9:16' });
    expect(kind).toBe('text2video');
    expect(body).toEqual({ model_name: 'kling-v3', prompt: 'a cat', duration: '7', mode: 'pro', aspect_ratio: '9:16', sound: 'on', negative_prompt: 'dogs' });
    expect(buildGenerateRequest({ ...base, prompt: 'a cat' }).body.duration).toBe('5');
    expect(parseKlingCreate(body, { models: MODELS, kind })).toMatchObject({ prompt: 'a cat', duration: 7, tier: 'pro', sound: true });
  });

  it('a frame makes it image2video, with or without a prompt; image_tail goes along', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const image = frameBase64(png, '--image a.png');
    const a = buildGenerateRequest({ ...base, image, imageTail: 'https://example.com/last.png' });
    expect(a.kind).toBe('image2video');
    expect(a.body).toMatchObject({ image, image_tail: 'https://example.com/last.png' });
    expect(a.body).not.toHaveProperty('prompt');
    expect(parseKlingCreate(a.body, { models: MODELS, kind: a.kind })).toMatchObject({ firstFrame: image, lastFrame: 'https://example.com/last.png', prompt: '' });
    expect(buildGenerateRequest({ ...base, prompt: 'rise', image: 'https://example.com/a.png' }).body).toMatchObject({ prompt: 'rise', image: 'https://example.com/a.png' });
  });

  it('refuses a missing prompt, and a prompt next to --shots', () => {
    expect(refusal(() => buildGenerateRequest(base))).toMatch(/^missing <prompt>/);
    expect(refusal(() => buildGenerateRequest({ ...base, prompt: '  ' }))).toMatch(/^missing <prompt>/);
    expect(refusal(() => buildGenerateRequest({ ...base, prompt: 'x', shots: [{ prompt: 'a', duration: 3 }] }))).toMatch(/^give <prompt> or --shots, not both/);
  });
});

describe('parseShotsFile', () => {
  it.each([
    ['not json', /^--shots s\.json: not valid JSON \(/],
    ['{"prompt":"a","duration":3}', /^--shots s\.json: must be an array of 1-6 shots like .*, not object$/],
    ['[]', /not 0 shots$/],
    [JSON.stringify(Array.from({ length: 7 }, () => ({ prompt: 'a', duration: 1 }))), /not 7 shots$/],
    ['[1]', /^--shots s\.json: shot 1 must be an object/],
    ['[{"prompt":"a","duration":1},{"duration":2}]', /^--shots s\.json: shot 2: "prompt" must be a non-empty string$/],
    ['[{"prompt":"a","duration":"2"}]', /^--shots s\.json: shot 1: "duration" must be a whole number of seconds, at least 1 \(got "2"\)$/],
    ['[{"prompt":"a","duration":1.5}]', /got 1\.5\)$/],
    ['[{"prompt":"a"}]', /got nothing\)$/],
  ])('refuses %s', (text, message) => {
    expect(refusal(() => parseShotsFile(text, 's.json'))).toMatch(message);
  });

  it('keeps prompt and duration, and ignores other keys', () => {
    expect(parseShotsFile('[{"prompt":"a","duration":1,"note":"x"},{"prompt":"b","duration":2}]', 's.json')).toEqual([
      { prompt: 'a', duration: 1 },
      { prompt: 'b', duration: 2 },
    ]);
  });
});

describe('frameBase64', () => {
  it('takes JPEG and PNG bytes as raw base64, refuses anything else', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1]);
    expect(frameBase64(jpeg, 'x')).toBe(jpeg.toString('base64'));
    expect(refusal(() => frameBase64(Buffer.from('GIF89a'), '--image a.gif'))).toBe('--image a.gif: not a JPEG or PNG image');
    expect(refusal(() => frameBase64(Buffer.alloc(0), '--image e.png'))).toBe('--image e.png: the file is empty');
  });
});
