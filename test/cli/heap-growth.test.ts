/**
 * `reelay serve` limits V8's heap growth (src/cli/heap-growth.ts) unless node's command line
 * chose a factor; the flag it sets is one this node's V8 knows (V8 ignores unknown names). The
 * memory it saves is a benchmark figure (bench/engine.ts), not asserted here.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../src/cli/heap-growth.ts';

describe('the heap growth limit', () => {
  it('leaves a factor chosen on the command line alone, in either spelling', () => {
    expect(limitHeapGrowth(['--heap-growing-percent=30'])).toBe(false);
    expect(limitHeapGrowth(['--enable-source-maps', '--heap_growing_percent=30'])).toBe(false);
  });

  it("sets its own otherwise, under a name this node's V8 knows, with a value V8 accepts", () => {
    expect(limitHeapGrowth([])).toBe(true);
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    expect(options).toMatch(/--heap-growing-percent \(/);
    const accepted = execFileSync(process.execPath, [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(accepted).toBe('ok');
  });
});
