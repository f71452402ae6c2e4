/** The one compare-and-swap every worker write goes through: expected status and my lease token. */
import type { Kysely, UpdateObject } from 'kysely';
import type { TaskStatus } from '../domain/task.ts';
import type { Database } from './schema.ts';
import { changeStatus, type TaskOutbox } from './task-outbox.ts';

/**
 * Changes the row only while it is still `from` and leased to `token`; false when it is not.
 * `cancelRequested`, when given, must match too: completing and ending canceled each require
 * their side of a client's cancel request, so exactly one of them can win (src/engine/finish-task.ts).
 * `outbox`, when given, queues the delivery a status change owes in the same transaction.
 */
export async function leasedTransition(
  db: Kysely<Database>,
  id: string,
  token: string,
  from: TaskStatus,
  set: UpdateObject<Database, 'tasks'>,
  options: { cancelRequested?: boolean; outbox?: TaskOutbox | undefined } = {},
): Promise<boolean> {
  const update = (on: Kysely<Database>) => {
    let q = on.updateTable('tasks').set(set).where('id', '=', id).where('status', '=', from).where('lease_token', '=', token);
    if (options.cancelRequested !== undefined) q = q.where('cancel_requested_at', options.cancelRequested ? 'is not' : 'is', null);
    return q;
  };
  if (set.status !== undefined && set.status !== from) {
    // A status change: the delivery it owes the client commits with it.
    return changeStatus(db, options.outbox, (on) => update(on).returningAll().executeTakeFirst());
  }
  const r = await update(db).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** A terminal task is due never again and leased to no one. */
export function terminalFields(now: number) {
  return { due_at: null, lease_token: null, updated_at: now, finished_at: now };
}
