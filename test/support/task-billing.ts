/**
 * TaskBilling fixtures for the render tests: one 5 s std task with sound (0.9 credits/s, a hold of
 * 4.5 credits) at each point of its life. Micro-credits, as the engine counts them.
 */
import type { TaskBilling } from '../../src/domain/task.ts';

/** Held at create, not yet settled. */
export const HELD: TaskBilling = { holdMicros: 4_500_000, chargedMicros: null, releasedMicros: null, billedSeconds: null };

/** Completed with 4 of the 5 seconds delivered: 3.6 captured, 0.9 released. */
export const SETTLED_SHORT: TaskBilling = { holdMicros: 4_500_000, chargedMicros: 3_600_000, releasedMicros: 900_000, billedSeconds: 4 };

/** Failed: all released. */
export const RELEASED: TaskBilling = { holdMicros: 4_500_000, chargedMicros: 0, releasedMicros: 4_500_000, billedSeconds: null };
