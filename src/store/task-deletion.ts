/**
 * Deletes one key's finished task (OpenAI's `DELETE /v1/videos/{id}`) and hands back the storage
 * keys of its media, so the caller removes the files. A queued or running task is refused: a
 * worker holds it, and deleting the row under the worker would orphan the files it is writing.
 */
import type { Kysely } from 'kysely';
import { TERMINAL_STATUSES, type TaskStatus } from '../domain/task.ts';
import type { Database } from './schema.ts';
import { rowToTask } from './task-rows.ts';
import { isStorableText } from './text-guards.ts';

export type TaskDeletionResult =
  | { outcome: 'deleted'; mediaKeys: string[] }
  | { outcome: 'not_found' }
  | { outcome: 'active'; status: TaskStatus };

export type TaskDeletion = (keyId: string, publicId: string, dialect: string) => Promise<TaskDeletionResult>;

export function createTaskDeletion(db: Kysely<Database>): TaskDeletion {
  return async (keyId, publicId, dialect) => {
    if (!isStorableText(publicId)) return { outcome: 'not_found' };
    const row = await db
      .selectFrom('tasks')
      .selectAll()
      .where('key_id', '=', keyId)
      .where('public_id', '=', publicId)
      .where('dialect', '=', dialect)
      .executeTakeFirst();
    if (!row) return { outcome: 'not_found' };
    const task = rowToTask(row);
    if (!TERMINAL_STATUSES.includes(task.status)) return { outcome: 'active', status: task.status };
    // The status guard makes the delete a compare-and-swap: a terminal task never becomes
    // active again, so 0 rows here means another request deleted it first.
    const r = await db
      .deleteFrom('tasks')
      .where('id', '=', task.id)
      .where('status', 'in', [...TERMINAL_STATUSES])
      .executeTakeFirst();
    if (r.numDeletedRows === 0n) return { outcome: 'not_found' };
    const mediaKeys = (task.result?.videos ?? []).flatMap((v) => (v.watermarkKey ? [v.key, v.watermarkKey] : [v.key]));
    return { outcome: 'deleted', mediaKeys };
  };
}
