/**
 * Callback POSTs (spec §1.7): fire-and-forget, 5 s each to connect, to answer and between body
 * bytes, no retries, no redirects followed, to any address (this is a test tool: 127.0.0.1
 * receivers are the normal case). Kling documents no retry policy, so a
 * client must not rely on one; the lost-callback fault makes that visible.
 */
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'undici';
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

  // undici's request, not fetch: a callback is a fire-and-forget POST, and fetch's Web objects
  // (and a timeout signal per call, alive for its 5 s) were most of the simulator's garbage.
  // Every callback in flight listens on the one close signal.
  setMaxListeners(0, abort.signal);
  const agent = new Agent({ headersTimeout: CALLBACK_TIMEOUT_MS, bodyTimeout: CALLBACK_TIMEOUT_MS, connectTimeout: CALLBACK_TIMEOUT_MS });

  async function post(url: string, body: string): Promise<void> {
    try {
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: abort.signal, dispatcher: agent });
      // Drained so the connection goes back to the pool.
      await res.body.dump().catch(() => undefined);
      if (res.statusCode >= 200 && res.statusCode < 300) deps.stats.callbacksSent++;
      else {
        deps.stats.callbacksFailed++;
        deps.log(`callback to ${url} answered HTTP ${res.statusCode}`);
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
      await agent.close();
    },
  };
}
