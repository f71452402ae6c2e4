/** The one compare-and-swap every worker write goes through: expected status and my lease token. */
import type { Kysely, UpdateObject } from 'kysely';
import type { TaskStatus } from '../domain/task.ts';
import type { Database } from './schema.ts';

/** Changes the row only while it is still `from` and leased to `token`; false when it is not. */
export async function leasedTransition(
  db: Kysely<Database>,
  id: string,
  token: string,
  from: TaskStatus,
  set: UpdateObject<Database, 'tasks'>,
): Promise<boolean> {
  const r = await db.updateTable('tasks').set(set).where('id', '=', id).where('status', '=', from).where('lease_token', '=', token).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** A terminal task is due never again and leased to no one. */
export function terminalFields(now: number) {
  return { due_at: null, lease_token: null, updated_at: now, finished_at: now };
}
