/**
 * The simulator's own pauses, recorded beside arrival times (--record-arrivals). A request that
 * reaches the simulator while its event loop is paused (a garbage collection, another process on
 * its core) is stamped when the loop resumes, in a bunch with the others that waited: a client
 * measuring the rate the simulator saw must know when the stamps were late.
 */
export type LoopStall = { /** ms epoch when the loop ran again. */ endedAt: number; /** How long it did not run, ms. */ ms: number };

export type LoopStallWatch = { list(): LoopStall[]; stop(): void };

const TICK_MS = 5;

/** Records every gap of more than `thresholdMs` between ticks of a 5 ms timer. */
export function watchLoopStalls(thresholdMs: number): LoopStallWatch {
  const stalls: LoopStall[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - TICK_MS;
    if (late > thresholdMs) stalls.push({ endedAt: Math.round(performance.timeOrigin + now), ms: Math.round(late) });
    last = now;
  }, TICK_MS);
  timer.unref();
  return { list: () => [...stalls], stop: () => clearInterval(timer) };
}
