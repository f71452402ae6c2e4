/**
 * The client's two writes of a cancel (the rules are in src/engine/cancel-task.ts). Neither needs
 * the lease, and neither can race a worker: `cancelQueued` changes only a task nothing was sent
 * upstream for and clears its lease token, so a worker holding the lease fails its next
 * compare-and-swap (and its lease renewal) and stops; `requestCancel` only raises a flag that the
 * engine acts on under the lease, as the task would otherwise complete.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { changeStatus, type TaskOutbox } from './task-outbox.ts';
import { terminalFields } from './task-transition.ts';

export type TaskCancels = ReturnType<typeof createTaskCancels>;

/** `outbox` queues the client's delivery for a task canceled while queued (absent: none are queued). */
export function createTaskCancels(db: Kysely<Database>, outbox?: TaskOutbox) {
  return {
    /** queued and never submitted (no upstream id, no submit begun) -> canceled, whoever leases it. */
    async cancelQueued(id: string, keyId: string, now: number): Promise<boolean> {
      return changeStatus(db, outbox, (on) =>
        on
          .updateTable('tasks')
          .set({ status: 'canceled', cancel_requested_at: now, ...terminalFields(now) })
          .where('id', '=', id)
          .where('key_id', '=', keyId)
          .where('status', '=', 'queued')
          .where('upstream_id', 'is', null)
          .where('submit_started_at', 'is', null)
          .returningAll()
          .executeTakeFirst(),
      );
    },

    /** Marks an active task to be discarded when it would complete; false when it ended or was marked before. */
    async requestCancel(id: string, keyId: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('tasks')
        .set({ cancel_requested_at: now, updated_at: now })
        .where('id', '=', id)
        .where('key_id', '=', keyId)
        .where('status', 'in', ['queued', 'running'])
        .where('cancel_requested_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}
