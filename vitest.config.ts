import { defineConfig } from 'vitest/config';

/**
 * Files that each load the machine on their own (hundreds of tasks, several server processes).
 * They run one at a time after the rest: two of them side by side on 2 cores made each other's
 * timing swing by 2-3x, and the whole run near the 15-minute CI limit.
 */
const HEAVY = ['test/chaos/kill-nine-1000.test.ts', 'test/chaos/upstream-faults-500.test.ts', 'test/e2e/scale-out.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: HEAVY,
          // 2 cores: one file per core; renders inside tests are themselves CPU-bound.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'heavy',
          include: HEAVY,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
