import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apimartTaskId, evolinkTaskId, internalId, klingTaskId, newApiTaskId, openAiVideoId, randomHex, uuid } from '../../src/domain/ids.ts';

describe('task ids in each dialect format', () => {
  it('Kling: 18 digits, increasing with time', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2025, 8, 1), max: Date.UTC(2038, 0, 1) }), (now) => {
        expect(klingTaskId(now)).toMatch(/^[1-9]\d{17}$/);
        expect(BigInt(klingTaskId(now + 1)) > BigInt(klingTaskId(now - 1))).toBe(true);
      }),
    );
  });
  it('new-api: task_ + 32 alphanumerics', () => expect(newApiTaskId()).toMatch(/^task_[0-9A-Za-z]{32}$/));
  it('EvoLink: task-unified-<unix>-<8 lowercase alnum>', () => {
    expect(evolinkTaskId(1757169743123)).toMatch(/^task-unified-1757169743-[0-9a-z]{8}$/);
  });
  it('APIMart: task_ + ULID', () => expect(apimartTaskId()).toMatch(/^task_[0-9A-HJKMNP-TV-Z]{26}$/));
  it('Novita: a UUID', () => expect(uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/));
  it('OpenAI: video_ + hex', () => expect(openAiVideoId()).toMatch(/^video_[0-9a-f]{32}$/));
  it('internal ids sort by creation time', () => expect(internalId(2000) > internalId(1000)).toBe(true));
  it('internal ids sort by creation time', () => expect(internalId(2000) > internalId(1000)).toBe(true));
});

describe('randomHex (pooled CSPRNG bytes)', () => {
  it('gives the asked number of bytes as hex, and no two calls the same bytes across pool refills', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 300 }), (sizes) => {
        const seen = new Set<string>();
        for (const bytes of sizes) {
          const hex = randomHex(bytes);
          expect(hex).toMatch(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
          if (bytes >= 8) {
            expect(seen.has(hex)).toBe(false);
            seen.add(hex);
          }
        }
      }),
    );
  });
  it('spreads its bits: over 20,000 bytes each bit is set about half the time', () => {
    const ones = new Array<number>(8).fill(0);
    const hex = Array.from({ length: 2500 }, () => randomHex(8)).join('');
    for (let i = 0; i < hex.length; i += 2) {
      const byte = parseInt(hex.slice(i, i + 2), 16);
      for (let b = 0; b < 8; b++) ones[b]! += (byte >> b) & 1;
    }
    for (const count of ones) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });
  it('refuses more than its pool, and sizes that would move its offset back or off the numbers', () => {
    for (const bad of [4097, -8, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => randomHex(bad)).toThrow(RangeError);
    expect(randomHex(8)).toMatch(/^[0-9a-f]{16}$/);
  });
});
