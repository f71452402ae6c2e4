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

/**
 * Pacing within this process: slots planned 1/rps apart, in the order callers asked, so the rate
 * holds on average even when the event loop is busy. Planned slots alone would let the calls
 * whose slots passed during a stall go out together, so a second rule counts the calls actually
 * sent: never more than N in any span of N/rps seconds (N = rps rounded up, at least one), which
 * keeps every such window within the cap as the upstream counts it.
 */
export function createRequestPacer(requestsPerSecond: number, now: () => number = Date.now): RequestPacer {
  const gapMs = gapMsOf(requestsPerSecond);
  const windowCalls = Math.max(1, Math.ceil(requestsPerSecond));
  const windowMs = windowCalls * gapMs;
  // The last `windowCalls` send times, oldest at `head`.
  const sent: number[] = [];
  let head = 0;
  let nextSlot = 0;
  return {
    async take(signal) {
      signal?.throwIfAborted();
      const t = now();
      const slot = Math.max(t, nextSlot);
      nextSlot = slot + gapMs;
      // No await when the slot is free now: callers keep the order they asked in.
      if (slot > t) await waitFor(slot - t, signal);
      for (;;) {
        const at = now();
        const oldest = sent.length < windowCalls ? null : (sent[head] as number);
        if (oldest === null || at - oldest >= windowMs) {
          if (oldest === null) sent.push(at);
          else {
            sent[head] = at;
            head = (head + 1) % windowCalls;
          }
          return;
        }
        await waitFor(windowMs - (at - oldest), signal);
      }
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
