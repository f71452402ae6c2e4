/**
 * Wires cross-instance wake-ups once, for server.ts (issue 7). On PostgreSQL every instance
 * publishes what it changed (a new task, a status or progress change, a queued delivery) through
 * LISTEN/NOTIFY (src/store/pg-notifications.ts) and every instance, itself included, turns what it
 * hears into its local wake-ups: the worker's, the event streams', the delivery sender's. On
 * SQLite (one process) everything here is a no-op. Polling stays as the fallback either way.
 */
import type { Kysely } from 'kysely';
import type { ChannelRouter } from './engine/channel-router.ts';
import type { Logger } from 'pino';
import type { TaskEvents } from './engine/task-events.ts';
import type { Wakeup } from './engine/wakeup.ts';
import type { Db } from './store/database.ts';
import { createPgNotifications, type PgNotifications, type ReelayEvent } from './store/pg-notifications.ts';
import type { Database } from './store/schema.ts';
import type { TaskOutbox } from './store/task-outbox.ts';
import type { TaskRepository } from './store/task-repository.ts';

export type InstanceWakeups = {
  /** For createWebhookDeliveries' `queued`: publishes a new delivery in its transaction. */
  deliveryQueued: ((trx: Kysely<Database>) => Promise<void>) | undefined;
  /** For createChannelStates' `changed`: publishes a channel's new health in its transaction. */
  channelChanged: ((trx: Kysely<Database>, name: string) => Promise<void>) | undefined;
  /**
   * Publishes a change made outside a task's status transitions (a callback nudge moving a task's
   * due time, a delivery made due again): workers or senders everywhere look. Best effort.
   */
  announce(event: { t: 'task'; id: string } | { t: 'delivery' }): void;
  /** Wraps the status-change outbox: publishes the change in its transaction. */
  outbox(inner: TaskOutbox): TaskOutbox;
  /** Wraps the task store: a create publishes in its transaction, a progress change right after its write. */
  tasks(inner: TaskRepository): TaskRepository;
  /** Starts listening; what is heard wakes `targets`. */
  start(targets: { wakeup: Wakeup; events: TaskEvents; notifySender: () => void; router: ChannelRouter }): Promise<void>;
  close(): Promise<void>;
};

export function createInstanceWakeups(db: Db, url: string | null, log: Logger): InstanceWakeups {
  if (db.kind !== 'postgres' || !url) {
    return {
      deliveryQueued: undefined,
      channelChanged: undefined,
      announce: () => undefined,
      outbox: (inner) => inner,
      tasks: (inner) => inner,
      start: async () => undefined,
      close: async () => undefined,
    };
  }
  const channel: PgNotifications = createPgNotifications({
    url,
    onError: (e) => log.warn({ error: e.message }, 'the LISTEN connection failed; reconnecting (polling covers the gap)'),
  });
  const publish = (trx: Kysely<Database>, event: ReelayEvent) => channel.publish(trx, event);
  return {
    deliveryQueued: (trx) => publish(trx, { t: 'delivery' }),
    channelChanged: (trx, name) => publish(trx, { t: 'channel', name }),
    announce: (event) => void publish(db.kysely, event).catch((e: unknown) => log.warn({ err: e, event }, 'notification failed (polling covers it)')),
    outbox: (inner) => ({
      async enqueue(trx, row) {
        await inner.enqueue(trx, row);
        await publish(trx, { t: 'status', id: row.id });
      },
      committed: () => inner.committed(),
    }),
    tasks: (inner) => ({
      ...inner,
      // The create's own transaction (with `admit`, the repository always opens one): the
      // notification is delivered at its commit, or never.
      insert: (t, idempotency, admit) =>
        inner.insert(t, idempotency, async (trx) => {
          if (admit) await admit(trx);
          await publish(trx, { t: 'task', id: t.id });
        }),
      // A progress write is a single UPDATE with no transaction of its own: published after it.
      async setProgress(id, token, progress, now) {
        const changed = await inner.setProgress(id, token, progress, now);
        if (changed) await publish(db.kysely, { t: 'status', id }).catch((e: unknown) => log.warn({ err: e, taskId: id }, 'progress notification failed'));
        return changed;
      },
    }),
    async start({ wakeup, events, notifySender, router }) {
      channel.listen((event) => {
        if (event === null) {
          wakeup.notify();
          events.notifyAll();
          notifySender();
          void router.reload();
        } else if (event.t === 'channel') {
          void router.reload(event.name);
        } else if (event.t === 'task') {
          wakeup.notify();
        } else if (event.t === 'status') {
          events.notify(event.id);
          wakeup.notify();
        } else {
          notifySender();
        }
      });
      // A failed first connect retries on its own (with back-off); polling covers the gap.
      await channel.start().catch((e: unknown) => log.warn({ error: e instanceof Error ? e.message : String(e) }, 'LISTEN failed at start; retrying'));
    },
    close: () => channel.close(),
  };
}
