import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MICROS_PER_CREDIT } from '../../src/billing/credits.ts';
import { DEFAULT_PRICE_TABLE, quote, type PriceTable } from '../../src/billing/price-table.ts';
import { LIMITS, TIERS } from '../../src/domain/video-request.ts';
import { videoRequest } from '../support/video-request.ts';

const credits = (micros: number | undefined) => (micros === undefined ? undefined : micros / MICROS_PER_CREDIT);
const rateOf = (over: Parameters<typeof videoRequest>[0], table: PriceTable = DEFAULT_PRICE_TABLE) => credits(quote(table, videoRequest(over))?.perSecondMicros);

const priced = (table: PriceTable) => Object.entries(table).flatMap(([model, tiers]) => TIERS.filter((t) => tiers[t] !== undefined).map((tier) => ({ model, tier })));
const anyRequest = (table: PriceTable) =>
  fc.record({
    at: fc.constantFrom(...priced(table)),
    duration: fc.integer({ min: LIMITS.minDuration, max: LIMITS.maxDuration }),
    sound: fc.boolean(),
    voiceIds: fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: LIMITS.maxVoices }),
  }).map(({ at, ...rest }) => ({ ...at, ...rest }));

describe('the price table', () => {
  it("holds Kling's published unit prices by default (spec §1.12)", () => {
    expect(rateOf({ tier: 'std' })).toBe(0.6);
    expect(rateOf({ tier: 'std', sound: true })).toBe(0.9);
    expect(rateOf({ tier: 'pro' })).toBe(0.8);
    expect(rateOf({ tier: 'pro', sound: true })).toBe(1.2);
    expect(rateOf({ model: 'kling-v3-turbo', tier: 'std' })).toBe(0.8);
    expect(rateOf({ model: 'kling-v3-turbo', tier: 'pro' })).toBe(1.0);
    for (const sound of [false, true]) {
      for (const voiceIds of [[], ['v1', 'v2']]) expect(rateOf({ tier: '4k', sound, voiceIds })).toBe(3.0);
    }
  });

  it('holds the rate times the whole seconds requested: a 5 s std task 3 credits, 10 s pro with sound 12', () => {
    expect(quote(DEFAULT_PRICE_TABLE, videoRequest({ duration: 5 }))).toEqual({
      model: 'kling-v3', tier: 'std', seconds: 5, audio: false, voices: false, perSecondMicros: 600_000, holdMicros: 3_000_000,
    });
    expect(quote(DEFAULT_PRICE_TABLE, videoRequest({ duration: 10, tier: 'pro', sound: true }))?.holdMicros).toBe(12_000_000);
  });

  it('has no price for a tier the model is not sold in (turbo 4k) or a model it does not know', () => {
    expect(quote(DEFAULT_PRICE_TABLE, videoRequest({ model: 'kling-v3-turbo', tier: '4k' }))).toBeNull();
    expect(quote(DEFAULT_PRICE_TABLE, videoRequest({ model: 'kling-v9' }))).toBeNull();
  });

  it('adds a configured voice surcharge only when sound is on and voices are given', () => {
    const table: PriceTable = { 'kling-v3': { pro: { per_second: 0.8, per_second_with_audio: 1.2, voice_surcharge_per_second: 0.25 } } };
    expect(rateOf({ tier: 'pro', sound: true, voiceIds: ['v1'] }, table)).toBe(1.45);
    expect(rateOf({ tier: 'pro', sound: true }, table)).toBe(1.2);
    // Voices without sound are not spoken, so not charged.
    expect(rateOf({ tier: 'pro', sound: false, voiceIds: ['v1'] }, table)).toBe(0.8);
    expect(quote(table, videoRequest({ tier: 'pro', sound: true, voiceIds: ['v1', 'v2'], duration: 4 }))).toMatchObject({ voices: true, holdMicros: 5_800_000 });
  });

  it('holds exactly the per-second micro-credits times the whole seconds, as non-negative integers', () => {
    const table: PriceTable = {
      ...DEFAULT_PRICE_TABLE,
      odd: { std: { per_second: 0.1234567, per_second_with_audio: 0.3333333, voice_surcharge_per_second: 0.0000004 }, pro: { per_second: 0 } },
    };
    fc.assert(
      fc.property(anyRequest(table), (request) => {
        const q = quote(table, videoRequest(request));
        expect(q).not.toBeNull();
        if (!q) return;
        expect(Number.isSafeInteger(q.perSecondMicros)).toBe(true);
        expect(Number.isSafeInteger(q.holdMicros)).toBe(true);
        expect(q.perSecondMicros).toBeGreaterThanOrEqual(0);
        expect(q.holdMicros).toBe(q.perSecondMicros * request.duration);
        expect(q.seconds).toBe(request.duration);
      }),
    );
  });

  it('never makes audio cheaper than silence in the default table', () => {
    fc.assert(
      fc.property(anyRequest(DEFAULT_PRICE_TABLE), (request) => {
        const silent = quote(DEFAULT_PRICE_TABLE, videoRequest({ ...request, sound: false }));
        const loud = quote(DEFAULT_PRICE_TABLE, videoRequest({ ...request, sound: true }));
        expect(loud?.holdMicros).toBeGreaterThanOrEqual(silent?.holdMicros ?? Infinity);
      }),
    );
  });

  it('prices 4k the same whatever the audio and voices', () => {
    const table: PriceTable = { 'kling-v3': { '4k': { per_second: 3.0, voice_surcharge_per_second: 0 } } };
    for (const t of [DEFAULT_PRICE_TABLE, table]) {
      fc.assert(
        fc.property(anyRequest(t).filter((r) => r.tier === '4k'), (request) => {
          const plain = quote(t, videoRequest({ ...request, sound: false, voiceIds: [] }));
          expect(quote(t, videoRequest(request))?.holdMicros).toBe(plain?.holdMicros);
          expect(plain?.holdMicros).toBe(3_000_000 * request.duration);
        }),
      );
    }
  });
});
