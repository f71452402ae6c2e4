/**
 * Callback POSTs (spec §1.7): fire-and-forget, 5 s timeout, no retries, to any address (this is
 * a test tool: 127.0.0.1 receivers are the normal case). Kling documents no retry policy, so a
 * client must not rely on one; the lost-callback fault makes that visible.
 */
import type { FaultDice } from './sim-faults.ts';
import type { SimStats } from './sim-types.ts';

const CALLBACK_TIMEOUT_MS = 5000;

export type CallbackSender = {
  send(url: string, payload: unknown): void;
  /** Aborts callbacks in flight and waits for them to settle. */
  close(): Promise<void>;
};

export function createCallbackSender(deps: { dice: FaultDice; stats: SimStats; log: (line: string) => void }): CallbackSender {
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();

  async function post(url: string, body: string): Promise<void> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]),
      });
      // Drained so the connection goes back to the pool.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) deps.stats.callbacksSent++;
      else {
        deps.stats.callbacksFailed++;
        deps.log(`callback to ${url} answered HTTP ${res.status}`);
      }
    } catch (e) {
      deps.stats.callbacksFailed++;
      if (!abort.signal.aborted) deps.log(`callback to ${url} failed: ${(e as Error).message}`);
    }
  }

  return {
    send(url, payload) {
      if (deps.dice.loseCallback()) {
        deps.stats.callbacksLost++;
        return;
      }
      const pending = post(url, JSON.stringify(payload));
      inFlight.add(pending);
      void pending.finally(() => inFlight.delete(pending));
    },
    async close() {
      abort.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}
