/**
 * Fault injection: the SimFaults schema (shared by `PUT /_sim/faults`, the options and the CLI)
 * and the dice that decide, request by request, which fault happens. Every roll comes from the
 * one seeded PRNG, so a seeded run repeats itself.
 */
import { z } from 'zod';
import { KLING_ERROR_CODES } from './sim-errors.ts';
import type { Random } from './sim-random.ts';
import type { SimFaults } from './sim-types.ts';

const rate = z.number().min(0).max(1);
const errorRates = z.record(z.string(), rate).superRefine((rates, ctx) => {
  for (const code of Object.keys(rates)) {
    if (!KLING_ERROR_CODES.includes(Number(code))) {
      ctx.addIssue({ code: 'custom', path: [code], message: `is not a Kling error code (${KLING_ERROR_CODES.join(', ')})` });
    }
  }
});

const faultsSchema = z
  .object({
    createErrors: errorRates.optional(),
    queryErrors: errorRates.optional(),
    latencyMs: z
      .object({ min: z.number().min(0), max: z.number().min(0) })
      .strict()
      .refine((l) => l.min <= l.max, { error: 'min must not exceed max' })
      .optional(),
    dropAfterAcceptRate: rate.optional(),
    lostCallbackRate: rate.optional(),
    taskFailureRate: rate.optional(),
    urlTtlSeconds: z.number().min(0).optional(),
  })
  .strict();

/** Checks faults from outside (JSON, options); throws an Error listing every problem. */
export function parseSimFaults(value: unknown): SimFaults {
  const parsed = faultsSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`invalid faults: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  }
  const f = parsed.data;
  const out: SimFaults = {};
  if (f.createErrors) out.createErrors = numericKeys(f.createErrors);
  if (f.queryErrors) out.queryErrors = numericKeys(f.queryErrors);
  if (f.latencyMs) out.latencyMs = f.latencyMs;
  if (f.dropAfterAcceptRate !== undefined) out.dropAfterAcceptRate = f.dropAfterAcceptRate;
  if (f.lostCallbackRate !== undefined) out.lostCallbackRate = f.lostCallbackRate;
  if (f.taskFailureRate !== undefined) out.taskFailureRate = f.taskFailureRate;
  if (f.urlTtlSeconds !== undefined) out.urlTtlSeconds = f.urlTtlSeconds;
  return out;
}

function numericKeys(rates: Record<string, number>): Partial<Record<number, number>> {
  const out: Partial<Record<number, number>> = {};
  for (const [code, p] of Object.entries(rates)) out[Number(code)] = p;
  return out;
}

export type FaultDice = {
  /** The error code to answer instead of doing the work, or null. */
  createError(): number | null;
  queryError(): number | null;
  latencyMs(): number;
  dropAfterAccept(): boolean;
  loseCallback(): boolean;
  failTask(): boolean;
  urlTtlSeconds(): number;
  current(): SimFaults;
  set(faults: SimFaults): void;
};

export const DEFAULT_URL_TTL_SECONDS = 30 * 24 * 3600;

export function createFaultDice(random: Random, initial: SimFaults): FaultDice {
  let faults = initial;

  // One roll per request, the codes sharing the unit interval in ascending order: rates that sum
  // past 1 simply let the lower codes win, and a request never gets two errors.
  function pickError(rates: Partial<Record<number, number>> | undefined): number | null {
    if (!rates) return null;
    const roll = random();
    let edge = 0;
    for (const code of Object.keys(rates).map(Number).sort((a, b) => a - b)) {
      edge += rates[code] ?? 0;
      if (roll < edge) return code;
    }
    return null;
  }

  // A zero rate rolls nothing, so turning a fault off does not shift the sequence of the others.
  const chance = (p: number | undefined) => p !== undefined && p > 0 && random() < p;

  return {
    createError: () => pickError(faults.createErrors),
    queryError: () => pickError(faults.queryErrors),
    latencyMs: () => {
      const l = faults.latencyMs;
      if (!l || l.max <= 0) return 0;
      return l.min + random() * (l.max - l.min);
    },
    dropAfterAccept: () => chance(faults.dropAfterAcceptRate),
    loseCallback: () => chance(faults.lostCallbackRate),
    failTask: () => chance(faults.taskFailureRate),
    urlTtlSeconds: () => faults.urlTtlSeconds ?? DEFAULT_URL_TTL_SECONDS,
    current: () => faults,
    set: (next) => {
      faults = next;
    },
  };
}
