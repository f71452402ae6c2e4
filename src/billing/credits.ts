/**
 * Money is counted in micro-credits (1 credit = 1,000,000), as integers: sums of 0.6 and 0.9 in
 * floating point drift, and a ledger that must balance to the last unit cannot. A credit is
 * whatever the operator sells; the default price table makes it one Kling unit (spec §1.12).
 */
export const MICROS_PER_CREDIT = 1_000_000;

/** The largest budget a key may have: micro-credits stay exact integers far below 2^53. */
export const MAX_CREDITS = 1_000_000_000;

/** Credits (a decimal the client wrote) -> micro-credits, rounded to the nearest micro-credit. */
export function toMicros(credits: number): number {
  return Math.round(credits * MICROS_PER_CREDIT);
}

/** Micro-credits -> credits, for the wire (e.g. 2_700_000 -> 2.7). */
export function toCredits(micros: number): number {
  return micros / MICROS_PER_CREDIT;
}
