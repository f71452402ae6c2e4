/**
 * A per-channel cap on requests per second: calls are spaced at least 1/rps apart, in the order
 * they asked. Smooth spacing rather than a bursty bucket, because Kling counts concurrency and
 * resellers count per-second rates; neither rewards a burst.
 */
export type RequestPacer = {
  /** Resolves when this caller may send; rejects with the signal's reason if aborted first. */
  take(signal?: AbortSignal): Promise<void>;
};

export function createRequestPacer(requestsPerSecond: number, now: () => number = Date.now): RequestPacer {
  const gapMs = 1000 / requestsPerSecond;
  let nextSlot = 0;
  return {
    async take(signal) {
      signal?.throwIfAborted();
      const t = now();
      const slot = Math.max(t, nextSlot);
      nextSlot = slot + gapMs;
      const wait = slot - t;
      if (wait <= 0) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, wait);
        function onAbort() {
          clearTimeout(timer);
          reject(signal?.reason);
        }
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
