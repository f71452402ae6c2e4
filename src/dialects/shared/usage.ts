/**
 * What a task costs the client, as the dialects show it. Kling (`final_unit_deduction`, the new
 * design's `billing[]`) and EvoLink (`usage`) have a documented place for it (spec §7 note 9);
 * OpenAI, APIMart and Novita have none, so they carry Reelay's documented extension
 * `reelay_usage`, built here once so the three read alike. Credits are decimal numbers on the
 * wire (src/billing/credits.ts); the engine counts micro-credits.
 */
import { toCredits } from '../../billing/credits.ts';
import type { Task, TaskBilling } from '../../domain/task.ts';

/** Reelay's extension: the hold taken at create and, once the task has ended, how it settled. */
export type ReelayUsage = {
  /** Reelay bills per second of video (the requested seconds held, the delivered ones charged). */
  billing_rule: 'per_second';
  credits_reserved: number;
  /** null until the task ends. */
  credits_charged: number | null;
  /** null until the task ends. */
  credits_refunded: number | null;
  /** The whole seconds charged for; null unless the task ended with a charge. */
  billed_seconds: number | null;
};

const creditsOrNull = (micros: number | null): number | null => (micros === null ? null : toCredits(micros));

export function reelayUsage(billing: TaskBilling): ReelayUsage {
  return {
    billing_rule: 'per_second',
    credits_reserved: toCredits(billing.holdMicros),
    credits_charged: creditsOrNull(billing.chargedMicros),
    credits_refunded: creditsOrNull(billing.releasedMicros),
    billed_seconds: billing.billedSeconds,
  };
}

/**
 * `{reelay_usage}` to spread into a body, or `{}` for a task made before billing existed: a field
 * that is absent says "not billed by Reelay" better than one full of zeros.
 */
export function reelayUsageField(task: Pick<Task, 'billing'>): { reelay_usage?: ReelayUsage } {
  return task.billing === null ? {} : { reelay_usage: reelayUsage(task.billing) };
}

/** The credits held at create; 0 for a task made before billing existed. */
export function creditsReserved(task: Pick<Task, 'billing'>): number {
  return task.billing === null ? 0 : toCredits(task.billing.holdMicros);
}

/**
 * Kling's string of units deducted (legacy `final_unit_deduction`, the new design's `billing[]`
 * amount): the credits charged, which the default price table makes equal to Kling units. A task
 * made before billing existed was charged nothing by Reelay; it keeps showing what it showed then
 * (the upstream's reported units, or "0"), so its old readers see no change.
 */
export function klingUnitsDeducted(task: Pick<Task, 'billing' | 'unitsCharged'>): string {
  const charged = task.billing?.chargedMicros ?? null;
  return String(charged === null ? (task.unitsCharged ?? 0) : toCredits(charged));
}
