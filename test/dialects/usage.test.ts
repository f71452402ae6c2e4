import { describe, expect, it } from 'vitest';
import { creditsReserved, klingUnitsDeducted, reelayUsage, reelayUsageField } from '../../src/dialects/shared/usage.ts';
import { HELD, RELEASED, SETTLED_SHORT } from '../support/task-billing.ts';

describe('reelay_usage, the usage extension of OpenAI, APIMart and Novita', () => {
  it('shows the hold as decimal credits and nulls until the task ends', () => {
    expect(reelayUsage(HELD)).toEqual({ billing_rule: 'per_second', credits_reserved: 4.5, credits_charged: null, credits_refunded: null, billed_seconds: null });
  });

  it('shows what was charged and refunded once the task ended', () => {
    expect(reelayUsage(SETTLED_SHORT)).toEqual({ billing_rule: 'per_second', credits_reserved: 4.5, credits_charged: 3.6, credits_refunded: 0.9, billed_seconds: 4 });
    expect(reelayUsage(RELEASED)).toEqual({ billing_rule: 'per_second', credits_reserved: 4.5, credits_charged: 0, credits_refunded: 4.5, billed_seconds: null });
  });

  it('is absent for a task made before billing existed', () => {
    expect(reelayUsageField({ billing: null })).toEqual({});
    expect(Object.hasOwn(reelayUsageField({ billing: null }), 'reelay_usage')).toBe(false);
    expect(reelayUsageField({ billing: HELD })).toEqual({ reelay_usage: reelayUsage(HELD) });
  });
});

describe('the usage figures of the dialects with a place for them', () => {
  it('reserves the hold in credits, 0 for a task without billing', () => {
    expect(creditsReserved({ billing: HELD })).toBe(4.5);
    expect(creditsReserved({ billing: null })).toBe(0);
  });

  it('deducts the credits charged as a Kling unit string; a task without billing keeps the upstream units or "0"', () => {
    expect(klingUnitsDeducted({ billing: SETTLED_SHORT, unitsCharged: 7 })).toBe('3.6');
    expect(klingUnitsDeducted({ billing: RELEASED, unitsCharged: null })).toBe('0');
    expect(klingUnitsDeducted({ billing: null, unitsCharged: 3 })).toBe('3');
    expect(klingUnitsDeducted({ billing: null, unitsCharged: null })).toBe('0');
  });
});
