/**
 * A per-channel cap on requests per second: calls are spaced at least 1/rps apart, in the order
 * they asked. Smooth spacing rather than a bursty bucket, because Kling counts concurrency and
 * resellers count per-second rates; neither rewards a burst.
 */
export type RequestPacer = {
  /** Resolves when this caller may send; rejects with the signal's reason if aborted first. */
  take(signal?: AbortSignal): Promise<void>;
};

/** The spacing between two sends at `requestsPerSecond`. */
export const gapMsOf = (requestsPerSecond: number): number => 1000 / requestsPerSecond;

function waitFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Pacing within this process. */
export function createRequestPacer(requestsPerSecond: number, now: () => number = Date.now): RequestPacer {
  const gapMs = gapMsOf(requestsPerSecond);
  let nextSlot = 0;
  return {
    async take(signal) {
      signal?.throwIfAborted();
      const t = now();
      const slot = Math.max(t, nextSlot);
      nextSlot = slot + gapMs;
      // No await when the slot is free now: callers keep the order they asked in.
      if (slot > t) await waitFor(slot - t, signal);
    },
  };
}

/**
 * Pacing shared by every instance: `book` reserves the next slot in the shared store and says how
 * long to wait for it. When the store cannot answer, `fallback` paces this process alone (the
 * channel may then see up to one rate per instance, briefly) rather than failing the call.
 */
export function createSharedRequestPacer(book: () => Promise<number>, fallback: RequestPacer, onError: (e: unknown) => void): RequestPacer {
  return {
    async take(signal) {
      signal?.throwIfAborted();
      let wait: number;
      try {
        wait = await book();
      } catch (e) {
        onError(e);
        return fallback.take(signal);
      }
      if (wait > 0) await waitFor(wait, signal);
    },
  };
}
