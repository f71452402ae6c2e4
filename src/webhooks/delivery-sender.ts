/**
 * Sends the delivery outbox: leases due rows, POSTs each through the URL guard, signed with
 * Standard Webhooks headers under the task's key's `whsec_` secret, and records the outcome.
 *
 * - Any 2xx is delivered. Anything else (another status, a timeout, a refused connection) is
 *   retried 1, 2 and 4 s after the failure (EvoLink's schedule, spec §2.4, for every dialect);
 *   after the third retry the delivery is failed, with the last error kept.
 * - A refusal by the guard's policy (scheme, private address) is final at once: trying again
 *   cannot change the answer.
 * - `webhook-id` is the delivery id, the same for every attempt; `webhook-timestamp` and the
 *   signature are made per attempt, so receivers that reject old timestamps accept a retry.
 * - Up to `concurrency` attempts run at once, each bounded by the guard's 10 s deadline, so a
 *   receiver that hangs holds one slot and never the others; the task engine never waits on any.
 * - The lease outlives the deadline; a sender that dies lets it pass and the row is due again,
 *   so a restart (or another instance) resumes the attempt series.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { DeliveryRow, DeliveryStore } from '../store/deliveries.ts';
import { findUrlGuardError, type UrlGuardRefusal } from './url-guard-error.ts';
import type { UrlGuard } from './url-guard.ts';

export type DeliverySenderOptions = {
  /** Attempts in flight at once. */
  concurrency: number;
  /** How long a claimed delivery stays leased; longer than the guard's deadline. */
  leaseMs: number;
  /** The longest idle wait between looks at the outbox (other instances' new rows). */
  pollMs: number;
  /** Wait before each retry, after the 1st, 2nd, ... failure; its length is the number of retries. */
  retryDelaysMs: readonly number[];
};

/**
 * 64 at once is a judgement, not a measurement: a hung receiver holds one slot for at most the
 * 10 s deadline, so many can hang before a healthy one waits. The lease (30 s) outlives that deadline.
 */
export const DELIVERY_SENDER_DEFAULTS: DeliverySenderOptions = { concurrency: 64, leaseMs: 30_000, pollMs: 5_000, retryDelaysMs: [1_000, 2_000, 4_000] };

/** Refusals that no retry can change: the URL itself is not allowed. */
const FINAL_REFUSALS: ReadonlySet<UrlGuardRefusal> = new Set(['invalid_url', 'scheme', 'private_address']);

/**
 * Why an attempt failed, for counting: the receiver's status class (`http_4xx`, ...), the URL
 * guard's refusal (`timeout`, `network`, `private_address`, ...), `no_key` (the task's key is
 * gone), `secret_unreadable`, or `error` for anything else.
 */
export type DeliveryFailureReason = `http_${number}xx` | UrlGuardRefusal | 'no_key' | 'secret_unreadable' | 'error';

/** Told of every outcome this sender records (metrics); neither is called for an attempt cut short by a stop. */
export type DeliveryObserver = {
  /** Sent: seconds from the delivery being queued (its row's creation) to the receiver's 2xx. */
  delivered(lagSeconds: number): void;
  /** An attempt failed; `final` when no retry follows (the delivery is given up). */
  failed(reason: DeliveryFailureReason, final: boolean): void;
};

export type DeliverySenderDeps = {
  deliveries: DeliveryStore;
  /** The `whsec_` secret of a key (made on first use for older keys); null when the key does not exist. */
  secretFor: (keyId: string) => Promise<string | null>;
  guard: UrlGuard;
  /** What the idle sender waits on; woken through the sender's own `notify`. */
  wakeup: { notify(): void; wait(ms: number): Promise<void> };
  log: Logger;
  now: () => number;
  observe?: DeliveryObserver;
};

export type DeliverySender = {
  start(): void;
  /** A delivery became due (queued, replayed): look now. */
  notify(): void;
  /** Stops claiming, aborts attempts in flight and hands their deliveries back, due at once. */
  stop(): Promise<void>;
};

type Outcome =
  | { delivered: true; httpStatus: number }
  | { delivered: false; httpStatus: number | null; error: string; reason: DeliveryFailureReason; final: boolean };

export function createDeliverySender(deps: DeliverySenderDeps, options: DeliverySenderOptions = DELIVERY_SENDER_DEFAULTS): DeliverySender {
  const senderId = randomBytes(4).toString('hex');
  const running = new Set<Promise<void>>();
  // One abort for every attempt in flight: a stop is the only reason to cut an attempt short.
  const shutdown = new AbortController();
  let stopping = false;
  let loop: Promise<void> | null = null;
  // Set by every notify, cleared before each look: a notify that lands while the loop is busy
  // (reading the next due time, say) must not be lost, or a 1 s retry could wait a whole poll.
  let nudged = false;

  function notify(): void {
    nudged = true;
    deps.wakeup.notify();
  }

  async function claimLoop(): Promise<void> {
    while (!stopping) {
      nudged = false;
      const free = options.concurrency - running.size;
      let claimed = 0;
      if (free > 0) {
        const token = `${senderId}.${randomBytes(8).toString('hex')}`;
        try {
          const rows = await deps.deliveries.claimDue(deps.now(), free, options.leaseMs, token);
          for (const row of rows) begin(row, token);
          claimed = rows.length;
        } catch (e) {
          deps.log.error({ err: e }, 'claiming deliveries failed');
        }
      }
      // A full batch may have left more due rows behind: look again at once.
      if (claimed > 0 && claimed === free) continue;
      const idle = free > 0 ? await idleMs() : options.pollMs;
      if (!nudged && !stopping) await deps.wakeup.wait(idle);
    }
  }

  /** Until the next row falls due (a retry's time, a lease's end), at most the poll interval. */
  async function idleMs(): Promise<number> {
    try {
      const next = await deps.deliveries.nextDueAt();
      // Due already but not claimed (another instance holds it locked): a short pause, no spin.
      return next === null ? options.pollMs : Math.min(options.pollMs, Math.max(20, next - deps.now()));
    } catch (e) {
      deps.log.error({ err: e }, 'reading the next delivery time failed');
      return options.pollMs;
    }
  }

  function begin(row: DeliveryRow, token: string): void {
    const done: Promise<void> = attempt(row, token, shutdown.signal)
      .catch((e: unknown) => deps.log.error({ err: e, deliveryId: row.id, taskId: row.task_id }, 'delivery attempt crashed; the lease will expire'))
      .finally(() => {
        running.delete(done);
        notify();
      });
    running.add(done);
  }

  async function attempt(row: DeliveryRow, token: string, signal: AbortSignal): Promise<void> {
    const outcome = await send(row, signal);
    const now = deps.now();
    if (signal.aborted) {
      await deps.deliveries.handBack(row.id, token, now);
      return;
    }
    if (outcome.delivered) {
      // Counted only when recorded: an attempt whose lease was lost (a replay) is not this sender's to count.
      if (await deps.deliveries.delivered(row.id, token, outcome.httpStatus, now)) observe(() => deps.observe?.delivered(Math.max(0, now - row.created_at) / 1000));
      return;
    }
    const delay = outcome.final ? undefined : options.retryDelaysMs[row.attempts - 1];
    const retryAt = delay === undefined ? null : now + delay;
    if (await deps.deliveries.attemptFailed(row.id, token, { httpStatus: outcome.httpStatus, error: outcome.error, retryAt }, now)) observe(() => deps.observe?.failed(outcome.reason, retryAt === null));
    deps.log.info({ deliveryId: row.id, taskId: row.task_id, attempt: row.attempts, status: outcome.httpStatus, retryAt, error: outcome.error }, 'delivery attempt failed');
  }

  async function send(row: DeliveryRow, signal: AbortSignal): Promise<Outcome> {
    let secret: string | null;
    try {
      secret = await deps.secretFor(row.key_id);
    } catch (e) {
      // A database hiccup, or a secret sealed under another REELAY_SECRET: retried like a failure.
      return { delivered: false, httpStatus: null, error: `the webhook secret of key ${row.key_id} could not be read: ${errorText(e)}`, reason: 'secret_unreadable', final: false };
    }
    if (secret === null) return { delivered: false, httpStatus: null, error: `the task's API key ${row.key_id} does not exist: nothing to sign with`, reason: 'no_key', final: true };
    // Standard Webhooks signs `${id}.${timestamp}.${body}`, the timestamp in whole seconds: one clock read for both.
    const sentAt = new Date(deps.now());
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Reelay-Webhooks/1',
      'webhook-id': row.id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(row.id, sentAt, row.body),
    };
    try {
      const response = await deps.guard.request(row.url, { method: 'POST', headers, body: row.body, signal });
      if (response.status >= 200 && response.status < 300) return { delivered: true, httpStatus: response.status };
      const reason: DeliveryFailureReason = `http_${Math.min(5, Math.max(1, Math.floor(response.status / 100)))}xx`;
      return { delivered: false, httpStatus: response.status, error: `the receiver answered HTTP ${response.status}`, reason, final: false };
    } catch (e) {
      const refusal = findUrlGuardError(e);
      return {
        delivered: false,
        httpStatus: null,
        error: refusal ? refusal.message : errorText(e),
        reason: refusal ? refusal.refusal : 'error',
        final: refusal !== null && FINAL_REFUSALS.has(refusal.refusal),
      };
    }
  }

  return {
    start: () => void (loop ??= claimLoop()),
    notify,
    async stop() {
      stopping = true;
      notify();
      // Claims end first, so no attempt begins after the abort; aborted attempts hand their rows back.
      await loop;
      shutdown.abort(new Error('shutting down'));
      await Promise.allSettled(running);
    },
  };
}

/** Counting an outcome must never fail the delivery's bookkeeping. */
function observe(count: () => void): void {
  try {
    count();
  } catch {
    // A broken observer loses a sample, nothing more.
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
