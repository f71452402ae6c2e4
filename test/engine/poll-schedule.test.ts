/**
 * Properties of the remote poll schedule (src/engine/poll-schedule.ts): ±20 % jitter, the first
 * check at about the expected render time, growth capped by the channel's longest interval, and
 * the retry back-off (Retry-After when given, else 1 s doubling, capped).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstCheckDelay, jittered, nextCheckDelay, plannedFirstCheckMs, retryDelay, type PollSettings } from '../../src/engine/poll-schedule.ts';

// fast-check is seeded so a run repeats; override with FC_SEED to explore.
const params = { seed: Number(process.env.FC_SEED ?? 424242), numRuns: 1000 };

/** A value `random()` may return: [0, 1). */
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
/** Delays in ms, fractional included (config seconds * 1000 need not be whole). */
const ms = fc.double({ min: 0, max: 7 * 86_400_000, noNaN: true, noDefaultInfinity: true });
const positiveMs = fc.double({ min: 1, max: 86_400_000, noNaN: true, noDefaultInfinity: true });
/** What config.ts allows: expected 0..86 400 s, interval (0, 3600] s, max (0, 86 400] s. */
const settings: fc.Arbitrary<PollSettings> = fc.record({
  expectedRenderMs: fc.double({ min: 0, max: 86_400_000, noNaN: true, noDefaultInfinity: true }),
  pollIntervalMs: fc.double({ min: 1, max: 3_600_000, noNaN: true, noDefaultInfinity: true }),
  maxPollIntervalMs: positiveMs,
});
const checks = fc.nat({ max: 500 });
const half = () => 0.5;
/** The largest double below 1, the highest a `random()` may return. */
const almostOne = () => 1 - Number.EPSILON / 2;

describe('jittered', () => {
  it('stays within ±20 % of the delay (after rounding to whole ms), never negative', () => {
    fc.assert(
      fc.property(ms, unit, (delay, r) => {
        const out = jittered(delay, () => r);
        expect(Number.isInteger(out)).toBe(true);
        expect(out).toBeGreaterThanOrEqual(0);
        // Rounding is monotonic, so the bounds are the rounded extremes.
        expect(out).toBeGreaterThanOrEqual(Math.round(delay * 0.8));
        expect(out).toBeLessThanOrEqual(Math.round(delay * 1.2));
      }),
      params,
    );
  });

  it('is the delay itself at random() = 0.5, -20 % at 0 and just under +20 % at the top', () => {
    expect(jittered(1000, half)).toBe(1000);
    expect(jittered(1000, () => 0)).toBe(800);
    expect(jittered(1000, almostOne)).toBe(1200);
    expect(jittered(0, almostOne)).toBe(0);
  });

  it('grows with random()', () => {
    fc.assert(
      fc.property(ms, unit, unit, (delay, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(jittered(delay, () => lo)).toBeLessThanOrEqual(jittered(delay, () => hi));
      }),
      params,
    );
  });
});

describe('firstCheckDelay', () => {
  it('is the expected render time, ±20 %', () => {
    fc.assert(
      fc.property(settings, unit, (s, r) => {
        const out = firstCheckDelay(s, () => r);
        expect(out).toBeGreaterThanOrEqual(Math.round(s.expectedRenderMs * 0.8));
        expect(out).toBeLessThanOrEqual(Math.round(s.expectedRenderMs * 1.2));
        expect(firstCheckDelay(s, half)).toBe(Math.round(s.expectedRenderMs));
      }),
      params,
    );
  });

  it('does not depend on the poll intervals', () => {
    fc.assert(
      fc.property(settings, settings, unit, (a, b, r) => {
        expect(firstCheckDelay(a, () => r)).toBe(firstCheckDelay({ ...b, expectedRenderMs: a.expectedRenderMs }, () => r));
      }),
      params,
    );
  });

  it('with callbacks on, is 1.5 × the expected render time, ±20 % (the check only reconciles)', () => {
    fc.assert(
      fc.property(settings, unit, (s, r) => {
        const withCallbacks = { ...s, callbacks: true };
        const planned = Math.round(s.expectedRenderMs * 1.5);
        expect(plannedFirstCheckMs(withCallbacks)).toBe(planned);
        expect(plannedFirstCheckMs({ ...s, callbacks: false })).toBe(s.expectedRenderMs);
        const out = firstCheckDelay(withCallbacks, () => r);
        expect(out).toBeGreaterThanOrEqual(Math.round(planned * 0.8));
        expect(out).toBeLessThanOrEqual(Math.round(planned * 1.2));
        expect(firstCheckDelay(withCallbacks, half)).toBe(planned);
      }),
      params,
    );
  });
});

describe('nextCheckDelay', () => {
  it('never exceeds 1.2 × maxPollIntervalMs', () => {
    fc.assert(
      fc.property(settings, checks, unit, (s, n, r) => {
        const out = nextCheckDelay(s, n, () => r);
        expect(out).toBeLessThanOrEqual(Math.round(1.2 * s.maxPollIntervalMs));
        expect(out).toBeGreaterThanOrEqual(0);
      }),
      params,
    );
  });

  it('also holds for huge check counts and the highest random()', () => {
    fc.assert(
      fc.property(settings, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (s, n) => {
        expect(nextCheckDelay(s, n, almostOne)).toBeLessThanOrEqual(Math.round(1.2 * s.maxPollIntervalMs));
      }),
      params,
    );
  });

  it('is non-decreasing in `checks` for random() = 0.5', () => {
    fc.assert(
      fc.property(settings, checks, fc.nat({ max: 100 }), (s, n, more) => {
        expect(nextCheckDelay(s, n + more, half)).toBeGreaterThanOrEqual(nextCheckDelay(s, n, half));
      }),
      params,
    );
  });

  it('is non-decreasing over a whole sequence of checks, and settles at the maximum', () => {
    fc.assert(
      fc.property(settings, (s) => {
        const seq = Array.from({ length: 80 }, (_, n) => nextCheckDelay(s, n, half));
        for (let i = 1; i < seq.length; i++) expect(seq[i]).toBeGreaterThanOrEqual(seq[i - 1] ?? 0);
        expect(seq.at(-1)).toBe(Math.round(Math.min(s.maxPollIntervalMs, s.pollIntervalMs * 1.5 ** 60)));
      }),
      { ...params, numRuns: 200 },
    );
  });

  it('starts at the poll interval and grows by half per check (10 s -> 15 s -> 22.5 s ... 120 s)', () => {
    const s: PollSettings = { expectedRenderMs: 120_000, pollIntervalMs: 10_000, maxPollIntervalMs: 120_000 };
    expect(Array.from({ length: 8 }, (_, n) => nextCheckDelay(s, n, half))).toEqual([10_000, 15_000, 22_500, 33_750, 50_625, 75_938, 113_906, 120_000]);
  });
});

describe('retryDelay', () => {
  // FAILS against src as of 4cb2541: the Retry-After branch is jittered ±20 % like every other
  // delay, so with random() < 0.5 the retry comes before the upstream said it may (Retry-After:
  // 1 -> 800 ms) and below the 250 ms floor (Retry-After: 0 -> 200 ms).
  it('with a Retry-After, waits at least that long and at least 250 ms', () => {
    const s: PollSettings = { expectedRenderMs: 0, pollIntervalMs: 200, maxPollIntervalMs: 1000 };
    expect(retryDelay(1000, 0, s, () => 0), 'Retry-After: 1 (1000 ms), random() = 0').toBeGreaterThanOrEqual(1000);
    expect(retryDelay(0, 0, s, () => 0), 'Retry-After: 0, random() = 0').toBeGreaterThanOrEqual(250);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 3_600_000, noNaN: true, noDefaultInfinity: true }), checks, settings, unit, (retryAfter, n, s, r) => {
        const out = retryDelay(retryAfter, n, s, () => r);
        expect(out).toBeGreaterThanOrEqual(250);
        expect(out).toBeGreaterThanOrEqual(Math.ceil(retryAfter));
      }),
      params,
    );
  });

  it('with a Retry-After, stays within +20 % of max(Retry-After, 250 ms)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 3_600_000, noNaN: true, noDefaultInfinity: true }), checks, settings, unit, (retryAfter, n, s, r) => {
        expect(retryDelay(retryAfter, n, s, () => r)).toBeLessThanOrEqual(Math.round(1.2 * Math.max(retryAfter, 250)));
      }),
      params,
    );
  });

  it('without a Retry-After, is capped by min(60 s, maxPollIntervalMs) × 1.2', () => {
    fc.assert(
      fc.property(checks, settings, unit, (n, s, r) => {
        const out = retryDelay(null, n, s, () => r);
        expect(out).toBeGreaterThanOrEqual(0);
        expect(out).toBeLessThanOrEqual(Math.round(1.2 * Math.min(60_000, s.maxPollIntervalMs)));
      }),
      params,
    );
  });

  it('without a Retry-After, starts at 1 s and doubles per try until the cap (random() = 0.5)', () => {
    const wide: PollSettings = { expectedRenderMs: 0, pollIntervalMs: 10_000, maxPollIntervalMs: 600_000 };
    expect(Array.from({ length: 9 }, (_, n) => retryDelay(null, n, wide, half))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    const narrow: PollSettings = { expectedRenderMs: 0, pollIntervalMs: 200, maxPollIntervalMs: 1000 };
    expect(Array.from({ length: 4 }, (_, n) => retryDelay(null, n, narrow, half))).toEqual([1000, 1000, 1000, 1000]);
    expect(retryDelay(null, 1_000_000, wide, half)).toBe(60_000);
  });

  it('without a Retry-After, is non-decreasing in tries for random() = 0.5', () => {
    fc.assert(
      fc.property(settings, checks, fc.nat({ max: 50 }), (s, n, more) => {
        expect(retryDelay(null, n + more, s, half)).toBeGreaterThanOrEqual(retryDelay(null, n, s, half));
      }),
      params,
    );
  });
});
