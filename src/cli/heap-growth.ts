/**
 * How far V8 lets the heap grow past what survived the last full collection. Left to itself it
 * grows up to 4x when collecting looks cheap: with 10,000 tasks in flight the server held ~175 MB
 * of heap for ~65 MB live, and a peak RSS of 289-340 MB (bench/engine.ts). At 2x it held ~140 MB
 * (peak RSS 226-243 MB) with completions reaching event streams at p99 0.08-0.2 s, well inside
 * the 1 s target. 2x already meets the 300 MB target with room; lower factors, which mean more
 * full collections on one core, were not measured with the current code.
 */
import v8 from 'node:v8';

/** V8's growing factor is 1 + this / 100. */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Sets the factor for this process unless the operator chose one on node's command line
 * (`node --heap-growing-percent=N …`); says whether it did. V8 reads the flag at every full
 * collection, so setting it after start takes effect.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
