/**
 * A tiny seeded PRNG for every random choice the simulator makes (faults, latency, failures),
 * so a run with the same seed and the same request order makes the same choices.
 */
import { randomInt } from 'node:crypto';

/** Uniform in [0, 1). */
export type Random = () => number;

/** mulberry32: 32 bits of state, fast, good enough for fault dice (not for secrets). */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}
