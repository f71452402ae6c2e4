import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatShotSyntax, parseShotSyntax, promptOutsideShots } from '../../src/domain/shot-syntax.ts';
import type { Shot } from '../../src/domain/video-request.ts';
import { SEED_002_SHOTS } from '../support/kling-examples.ts';


describe('parseShotSyntax', () => {
  it('reads the seed 002 example into two shots', () => {
    expect(parseShotSyntax(SEED_002_SHOTS)).toEqual({
      kind: 'shots',
      shots: [
        { index: 1, prompt: 'the girl walks toward the window', duration: 3 },
        { index: 2, prompt: 'the camera zooms into her profile', duration: 2 },
      ],
    });
  });

  it('accepts full-width punctuation and digits, any whitespace, and no final ;', () => {
    expect(parseShotSyntax('镜头１，２，女孩走向窗边；\n镜头 2 ,3,镜头推近她的侧脸')).toEqual({
      kind: 'shots',
      shots: [
        { index: 1, prompt: '女孩走向窗边', duration: 2 },
        { index: 2, prompt: '镜头推近她的侧脸', duration: 3 },
      ],
    });
  });

  it('holds no syntax when 镜头 is an ordinary word', () => {
    for (const prompt of ['', 'A cat on a roof', '镜头缓慢推进，女孩微笑', '镜头1缓慢推进到人物', 'the 镜头 word alone']) {
      expect(parseShotSyntax(prompt)).toEqual({ kind: 'none' });
      expect(promptOutsideShots(prompt)).toBe(prompt);
    }
  });

  it('keeps a ; inside words and a 镜头 n, that does not follow a ;', () => {
    expect(parseShotSyntax('镜头 1, 2, she stops; then sits 镜头 2, 1, not a shot; 镜头 2, 3, rain;')).toEqual({
      kind: 'shots',
      shots: [
        { index: 1, prompt: 'she stops; then sits 镜头 2, 1, not a shot', duration: 2 },
        { index: 2, prompt: 'rain', duration: 3 },
      ],
    });
  });

  it('keeps the text before the first shot as the preamble', () => {
    const prompt = 'Cinematic, 35mm film. 镜头 1, 5, a lighthouse at dusk;';
    expect(promptOutsideShots(prompt)).toBe('Cinematic, 35mm film.');
    expect(parseShotSyntax(prompt)).toEqual({ kind: 'shots', shots: [{ index: 1, prompt: 'a lighthouse at dusk', duration: 5 }] });
  });

  it('explains each syntax error in words that read after "prompt"', () => {
    const cases: Array<[string, RegExp]> = [
      ['镜头 2, 3, starts at two;', /^shot 1 \(镜头 2\) is out of order: .* must be 镜头 1$/],
      ['镜头 1, 3, a; 镜头 3, 2, b;', /^shot 2 \(镜头 3\) is out of order/],
      ['镜头 1, 3s, a;', /^shot 1 \(镜头 1\) duration must be a whole number of seconds, at least 1 \(got '3s'\)$/],
      ['镜头 1, 0, a;', /duration must be a whole number of seconds, at least 1/],
      ['镜头 1, , a;', /duration must be a whole number/],
      ['镜头 1, 3;', /^shot 1 \(镜头 1\) must read 镜头 n, m, words;/],
      ['镜头 1, 3, ;', /^shot 1 \(镜头 1\) must have words after its duration/],
      ['镜头 1, 3, a; 镜头 2, 2,   ；', /^shot 2 \(镜头 2\) must have words/],
    ];
    for (const [prompt, rule] of cases) {
      const result = parseShotSyntax(prompt);
      expect(result.kind, prompt).toBe('invalid');
      if (result.kind === 'invalid') expect(result.rule, prompt).toMatch(rule);
    }
  });

  it('quotes at most 20 characters of what the client wrote', () => {
    const result = parseShotSyntax(`镜头 1, ${'9'.repeat(5000)}x, a;`);
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.rule.length).toBeLessThan(120);
  });

  it('reads hostile text in linear time (a quadratic reading would take minutes here)', () => {
    const hostile = [`镜头 1, 1, a;${' '.repeat(200_000)}x`, '镜头 1, '.repeat(40_000), ';镜头 1,'.repeat(40_000)];
    for (const prompt of hostile) {
      const started = performance.now();
      parseShotSyntax(prompt);
      promptOutsideShots(prompt);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});

// Words as a client writes them: no 镜头 of their own, trimmed, not ending in a terminator.
const words = fc
  .string({ unit: fc.constantFrom('a', 'b', ' ', ',', '，', ';', '；', '猫', '\n', '@', '1'), minLength: 1, maxLength: 30 })
  .map((s) => s.trim())
  .filter((s) => s !== '' && !/[;；]$/.test(s));

const shotLists = fc
  .array(fc.record({ prompt: words, duration: fc.integer({ min: 1, max: 60 }) }), { minLength: 1, maxLength: 8 })
  .map((items): Shot[] => items.map((s, i) => ({ index: i + 1, ...s })));

describe('shot syntax properties', () => {
  it('reads back what formatShotSyntax wrote', () => {
    fc.assert(
      fc.property(shotLists, fc.constantFrom('', 'Cinematic.', 'A noir film, rain'), (shots, preamble) => {
        const text = formatShotSyntax(shots, preamble);
        expect(parseShotSyntax(text)).toEqual({ kind: 'shots', shots });
        expect(promptOutsideShots(text)).toBe(preamble);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws, and every result is none, well-formed shots or a rule', () => {
    const pieces = fc.oneof(fc.constantFrom('镜头', '镜头 1,', '镜头 2，', ' ', ',', '，', ';', '；', '1', '2', '０', 'x'), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(pieces, { maxLength: 30 }).map((p) => p.join(''))), (prompt) => {
        const result = parseShotSyntax(prompt);
        expect(typeof promptOutsideShots(prompt)).toBe('string');
        if (result.kind === 'invalid') expect(result.rule).toMatch(/^shot \d+ /);
        if (result.kind === 'shots') {
          result.shots.forEach((s, i) => {
            expect(s.index).toBe(i + 1);
            expect(Number.isInteger(s.duration) && s.duration >= 1).toBe(true);
            expect(s.prompt.trim()).toBe(s.prompt);
            expect(s.prompt).not.toBe('');
          });
        }
      }),
      { numRuns: 2000 },
    );
  });
});
