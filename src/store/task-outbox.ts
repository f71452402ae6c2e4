/**
 * Status change -> delivery, in the same transaction: a task that reached a status and the
 * notification it owes its client commit together or not at all, so a crash between the two
 * loses nothing and sends nothing twice. The body is rendered here, at enqueue time (dialects
 * are injected: the store knows none), and stored as the exact bytes every attempt sends and
 * signs; media links in it stay valid for the link TTL (24 h by default), far beyond the
 * attempt series (4 tries within a minute). A replay re-renders (see delivery-admin-routes.ts).
 */
import type { Kysely, Selectable } from 'kysely';
import type { Task } from '../domain/task.ts';
import { insertDelivery } from './deliveries.ts';
import type { Database, TasksTable } from './schema.ts';
import { rowToTask } from './task-rows.ts';

/** The JSON a task's client receives for the task's current status, or null when its dialect sends nothing then. */
export type CallbackRenderer = (task: Task) => string | null;

export type TaskOutbox = {
  /** Inside the status change's transaction, with the changed row: queues what the new status owes. */
  enqueue(trx: Kysely<Database>, row: Selectable<TasksTable>): Promise<void>;
  /** After the commit: the sender has work now. */
  committed(): void;
};

/**
 * `queued`, when given, runs in the transaction right after a delivery is queued (PostgreSQL:
 * publishes the cross-instance wake-up for senders, delivered at commit; see pg-notifications.ts).
 */
export function createTaskOutbox(deps: { render: CallbackRenderer; notify: () => void; queued?: ((trx: Kysely<Database>) => Promise<void>) | undefined }): TaskOutbox {
  return {
    async enqueue(trx, row) {
      const task = rowToTask(row);
      let body: string | null;
      let failure: string | undefined;
      try {
        body = deps.render(task);
      } catch (e) {
        // A renderer bug must not undo the status change (the task would be stuck): the delivery
        // is recorded as failed, where /admin/deliveries shows it.
        body = '';
        failure = `the callback body could not be rendered: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (body === null) return;
      const url = task.request.callbackUrl ?? (await keyWebhookUrl(trx, task.keyId));
      if (url === null) return;
      await insertDelivery(trx, { taskId: task.id, keyId: task.keyId, url, event: task.status, body, now: row.updated_at, failure });
      if (deps.queued && failure === undefined) await deps.queued(trx);
    },
    committed: deps.notify,
  };
}

/**
 * Runs `write`, an UPDATE of one task's status that returns the changed row, and queues the
 * delivery the new status owes in the same transaction (with no outbox: just the write). True
 * when the row changed. Every status change goes through here, leased or not (a client's cancel).
 */
export async function changeStatus(
  db: Kysely<Database>,
  outbox: TaskOutbox | undefined,
  write: (on: Kysely<Database>) => Promise<Selectable<TasksTable> | undefined>,
): Promise<boolean> {
  if (!outbox) return (await write(db)) !== undefined;
  const won = await db.transaction().execute(async (trx) => {
    const row = await write(trx);
    if (row) await outbox.enqueue(trx, row);
    return row !== undefined;
  });
  if (won) outbox.committed();
  return won;
}

/** The key's default webhook URL (used when the task gave no callback URL). */
async function keyWebhookUrl(trx: Kysely<Database>, keyId: string): Promise<string | null> {
  const row = await trx.selectFrom('api_keys').select('webhook_url').where('id', '=', keyId).executeTakeFirst();
  return row?.webhook_url ?? null;
}
