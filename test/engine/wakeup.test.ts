/** The worker's wake-up (src/engine/wakeup.ts): a notify wakes the waiter; one nobody waited for is kept for the next wait. */
import { describe, expect, it } from 'vitest';
import { createWakeup } from '../../src/engine/wakeup.ts';

const settled = async (p: Promise<void>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 10));
  return done;
};

describe('wakeup', () => {
  it('wakes a waiter at notify, long before its timeout', async () => {
    const w = createWakeup();
    const waiting = w.wait(60_000);
    expect(await settled(waiting)).toBe(false);
    w.notify();
    expect(await settled(waiting)).toBe(true);
  });

  it('keeps a notify that came while nobody waited: the next wait returns at once, the one after waits', async () => {
    const w = createWakeup();
    w.notify();
    w.notify();
    expect(await settled(w.wait(60_000))).toBe(true);
    const next = w.wait(60_000);
    expect(await settled(next)).toBe(false);
    w.notify();
    await next;
  });

  it('times out without a notify', async () => {
    const w = createWakeup();
    const started = Date.now();
    await w.wait(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});
