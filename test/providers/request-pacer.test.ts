/**
 * The per-channel request pacer: calls spaced at least 1/rps apart, in the order they asked; an
 * aborted wait rejects with the signal's reason.
 *
 * Observed behaviour of an abort (documented here, asserted below): the slot an aborted caller
 * was given is NOT handed back. Callers already waiting keep the slot they were given (nobody is
 * moved earlier, nobody is rejected), and a caller arriving later is queued after the abandoned
 * slot, so an abort leaves a gap of one interval in the schedule. That only ever sends fewer
 * requests than the cap allows, never more. A signal aborted before take() consumes no slot.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRequestPacer } from '../../src/providers/request-pacer.ts';

type Outcome = { i: number; at: number } | { i: number; error: unknown };

/**
 * Real-time slack, ms: the pacer reads Date.now (whole ms, truncated) and a Node timer fires on
 * libuv's whole-ms clock, so against performance.now a call may be let through up to ~2 ms
 * before its exact slot.
 */
const SLACK = 3;

describe('createRequestPacer in real time', () => {
  it('lets 20 calls at 50 rps through in order, each at least 20 ms after the first slot times its place', async () => {
    const rps = 50;
    const gap = 1000 / rps;
    const pacer = createRequestPacer(rps);
    const start = performance.now();
    const order: number[] = [];
    const at: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pacer.take().then(() => {
          order.push(i);
          at[i] = performance.now() - start;
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Slots are absolute: first call + i × gap.
    for (let i = 0; i < 20; i++) expect(at[i]).toBeGreaterThanOrEqual(i * gap - SLACK);
    // (Not measured from at[0]: a busy event loop may run the first call's callback late, while
    // the later slots, absolute, stay on time.)
    // The pacer does not hold calls much longer than needed (generous: a loaded CI box).
    expect(at[19]).toBeLessThan(19 * gap + 1000);
  });

  it('spaces calls that arrive one after another, and lets a call through at once after an idle spell', async () => {
    const pacer = createRequestPacer(50);
    const stamps: number[] = [];
    for (let i = 0; i < 10; i++) {
      await pacer.take();
      stamps.push(performance.now());
    }
    // Measured from the first call, not pairwise: slots are absolute, so when one timer fires late
    // (a busy event loop) the next call's wait is shorter and that pair lands closer than 20 ms;
    // the schedule as a whole still never runs ahead of 1/rps.
    for (let i = 1; i < stamps.length; i++) expect((stamps[i] ?? 0) - (stamps[0] ?? 0)).toBeGreaterThanOrEqual(i * 20 - SLACK);
    await new Promise((r) => setTimeout(r, 60));
    const before = performance.now();
    await pacer.take();
    expect(performance.now() - before).toBeLessThan(10);
  });

  it('rejects an aborted wait with the abort reason, and the later callers still get through in order', async () => {
    const pacer = createRequestPacer(50);
    const start = performance.now();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const outcomes: Outcome[] = [];
    const track = (i: number, p: Promise<void>) =>
      p.then(
        () => void outcomes.push({ i, at: performance.now() - start }),
        (error: unknown) => void outcomes.push({ i, error }),
      );
    const all = Promise.all([
      track(0, pacer.take()),
      track(1, pacer.take(controller.signal)),
      track(2, pacer.take()),
      track(3, pacer.take()),
    ]);
    setTimeout(() => controller.abort(reason), 5);
    await all;
    expect(outcomes.map((o) => o.i)).toEqual([0, 1, 2, 3]);
    expect(outcomes[1]).toEqual({ i: 1, error: reason });
    // The abandoned slot (20 ms) is not reused: caller 2 keeps its 40 ms slot, caller 3 its 60 ms one.
    const at = (i: number) => {
      const o = outcomes.find((x) => x.i === i);
      return o && 'at' in o ? o.at : Number.NaN;
    };
    expect(at(2)).toBeGreaterThanOrEqual(40 - SLACK);
    expect(at(3)).toBeGreaterThanOrEqual(60 - SLACK);
  });
});

describe('createRequestPacer after the event loop stalled', () => {
  it('catches up on the slots the stall passed, but never sends more than rps calls in any second', async () => {
    const pacer = createRequestPacer(10);
    const at: number[] = [];
    const all = Promise.all(Array.from({ length: 25 }, () => pacer.take().then(() => void at.push(performance.now()))));
    await new Promise((r) => setTimeout(r, 20));
    // Block the event loop for 450 ms: four or five calls' slots pass meanwhile.
    const until = performance.now() + 450;
    while (performance.now() < until);
    await all;
    at.sort((a, b) => a - b);
    // Any 10 consecutive sends span at least a second: at most 10 in any second.
    for (let i = 0; i + 10 < at.length; i++) expect((at[i + 10] as number) - (at[i] as number)).toBeGreaterThanOrEqual(1000 - SLACK);
    // And the stall is made up for: 25 calls at 10 per second take about 2.4 s, not 2.4 s plus the stall.
    expect((at[24] as number) - (at[0] as number)).toBeLessThan(2400 + 200);
  });
});

describe('createRequestPacer on a fake clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs takes on fake timers and records when (fake ms since start) each settles. */
  function harness(rps: number) {
    vi.useFakeTimers({ now: 1_000_000 });
    const t0 = Date.now();
    const pacer = createRequestPacer(rps, () => Date.now());
    const log: Array<{ name: string; at: number; error?: unknown }> = [];
    const take = (name: string, signal?: AbortSignal) =>
      pacer.take(signal).then(
        () => void log.push({ name, at: Date.now() - t0 }),
        (error: unknown) => void log.push({ name, at: Date.now() - t0, error }),
      );
    return { pacer, log, take, t0 };
  }

  it('gives 20 simultaneous callers slots exactly 1/rps apart, in order', async () => {
    const { log, take } = harness(50);
    const all = Promise.all(Array.from({ length: 20 }, (_, i) => take(`c${i}`)));
    await vi.advanceTimersByTimeAsync(1000);
    await all;
    expect(log).toEqual(Array.from({ length: 20 }, (_, i) => ({ name: `c${i}`, at: i * 20 })));
  });

  it('keeps the aborted caller’s slot empty: callers already waiting keep theirs, a newcomer queues after', async () => {
    const { log, take } = harness(50);
    const controller = new AbortController();
    const reason = new DOMException('gave up', 'AbortError');
    const waiting = [take('a'), take('b', controller.signal), take('c')];
    await vi.advanceTimersByTimeAsync(5);
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    // The abort settles b at once, with the signal's reason.
    expect(log).toEqual([
      { name: 'a', at: 0 },
      { name: 'b', at: 5, error: reason },
    ]);
    // A caller arriving after the abort gets the slot after c (60 ms), not b's abandoned 20 ms one.
    const late = take('d');
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all([...waiting, late]);
    expect(log.slice(2)).toEqual([
      { name: 'c', at: 40 },
      { name: 'd', at: 60 },
    ]);
  });

  it('rejects at once, taking no slot, when the signal is already aborted', async () => {
    const { log, take } = harness(10);
    const reason = new Error('already aborted');
    const all = Promise.all([take('first'), take('aborted', AbortSignal.abort(reason)), take('second')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(log.slice(0, 2)).toEqual([
      { name: 'first', at: 0 },
      { name: 'aborted', at: 0, error: reason },
    ]);
    await vi.advanceTimersByTimeAsync(200);
    await all;
    // 'second' takes the slot right after 'first': the pre-aborted call consumed none.
    expect(log[2]).toEqual({ name: 'second', at: 100 });
  });

  it('lets a call through at once when its slot has already passed', async () => {
    const { log, take } = harness(4);
    await Promise.all([take('a')]);
    await vi.advanceTimersByTimeAsync(1000);
    const b = take('b');
    await vi.advanceTimersByTimeAsync(0);
    await b;
    expect(log).toEqual([
      { name: 'a', at: 0 },
      { name: 'b', at: 1000 },
    ]);
  });

  it('removes its abort listener once the wait is over (a signal reused for many calls does not pile up listeners)', async () => {
    const { take } = harness(100);
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const all = Promise.all(Array.from({ length: 5 }, (_, i) => take(`c${i}`, controller.signal)));
    await vi.advanceTimersByTimeAsync(100);
    await all;
    // The first call waits for nothing; the four others listen, then stop listening.
    expect(add).toHaveBeenCalledTimes(4);
    expect(remove).toHaveBeenCalledTimes(4);
    // Aborting afterwards settles nothing twice and throws nothing.
    controller.abort(new Error('late'));
  });
});
