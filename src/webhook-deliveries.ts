/**
 * Wires client notifications once, for server.ts: the outbox the task store writes to on every
 * status change (bodies rendered by the task's dialect at that moment), the store of deliveries,
 * and the sender that works them off through the URL guard. Here because it joins rooms that may
 * not know each other: dialects render, the store queues, webhooks send.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { renderCallbackBody } from './dialects/callback-body.ts';
import type { Task } from './domain/task.ts';
import { createWakeup } from './engine/wakeup.ts';
import type { LinkSigner } from './media/signed-links.ts';
import type { ApiKeyStore } from './store/api-keys.ts';
import type { Db } from './store/database.ts';
import { createDeliveryStore, type DeliveryStore } from './store/deliveries.ts';
import type { Database } from './store/schema.ts';
import { createTaskOutbox, type TaskOutbox } from './store/task-outbox.ts';
import { createDeliverySender, DELIVERY_SENDER_DEFAULTS, type DeliveryObserver } from './webhooks/delivery-sender.ts';
import { createUrlGuard } from './webhooks/url-guard.ts';

/** A receiver's reply is read only to be discarded; 64 KiB bounds what one may make us hold. */
const REPLY_BYTES = 64 * 1024;
/** EvoLink's 10 s per attempt (spec §2.4). */
const ATTEMPT_MS = 10_000;

export type WebhookDeliveries = {
  outbox: TaskOutbox;
  deliveries: DeliveryStore;
  renderCallback: (task: Task) => string | null;
  notifySender: () => void;
  allowPrivateUrls: boolean;
  start(): void;
  /** Stops the sender (attempts in flight are handed back, due at once) and closes its connections. */
  close(): Promise<void>;
};

export function createWebhookDeliveries(deps: {
  db: Db;
  keys: ApiKeyStore;
  links: LinkSigner;
  allowPrivateUrls: boolean;
  log: Logger;
  now: () => number;
  /** Runs in the transaction that queues a delivery (PostgreSQL: wakes the other instances' senders). */
  queued?: ((trx: Kysely<Database>) => Promise<void>) | undefined;
  /** Told of each delivery sent and each failed attempt (metrics). */
  observe?: DeliveryObserver | undefined;
  /** How long a claimed delivery stays leased (config `webhooks.leaseSeconds`); default 30 s. */
  leaseMs?: number | undefined;
}): WebhookDeliveries {
  const renderCallback = (task: Task) => renderCallbackBody(task, { url: (key) => deps.links.url(key), ttlSeconds: deps.links.ttlSeconds });
  const deliveries = createDeliveryStore(deps.db.kysely, deps.db.kind);
  const guard = createUrlGuard({ allowPrivate: deps.allowPrivateUrls, maxBytes: REPLY_BYTES, timeoutMs: ATTEMPT_MS });
  const sender = createDeliverySender({
    deliveries,
    secretFor: (keyId) => deps.keys.webhookSecret(keyId),
    guard,
    wakeup: createWakeup(),
    log: deps.log,
    now: deps.now,
    ...(deps.observe ? { observe: deps.observe } : {}),
  }, { ...DELIVERY_SENDER_DEFAULTS, leaseMs: deps.leaseMs ?? DELIVERY_SENDER_DEFAULTS.leaseMs });
  return {
    outbox: createTaskOutbox({ render: renderCallback, notify: () => sender.notify(), queued: deps.queued }),
    deliveries,
    renderCallback,
    notifySender: () => sender.notify(),
    allowPrivateUrls: deps.allowPrivateUrls,
    start: () => sender.start(),
    async close() {
      await sender.stop();
      await guard.close();
    },
  };
}
