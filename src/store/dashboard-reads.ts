/**
 * What the dashboard reads that no API route does: the newest tasks across every dialect (one
 * key's, or everyone's for the master key), a task by its public id whatever its dialect, and a
 * task's ledger entries for its billing timeline.
 */
import type { Kysely } from 'kysely';
import type { Task, TaskStatus } from '../domain/task.ts';
import type { Database, LedgerTable } from './schema.ts';
import { isStorableText } from './text-guards.ts';
import { rowToTask } from './task-rows.ts';

export type LedgerEntry = Pick<LedgerTable, 'entry' | 'micros' | 'outcome' | 'created_at'>;

export type DashboardReads = {
  /** Newest first; `keyId` null = every key's. */
  recentTasks(opts: { keyId: string | null; limit: number; status?: TaskStatus | undefined }): Promise<Task[]>;
  /** A task by public id; `keyId` null = any key's (master). */
  taskByPublicId(keyId: string | null, publicId: string): Promise<Task | null>;
  ledgerFor(taskId: string): Promise<LedgerEntry[]>;
};

export function createDashboardReads(db: Kysely<Database>): DashboardReads {
  return {
    async recentTasks({ keyId, limit, status }) {
      let q = db.selectFrom('tasks').selectAll();
      if (keyId !== null) q = q.where('key_id', '=', keyId);
      if (status !== undefined) q = q.where('status', '=', status);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(rowToTask);
    },

    async taskByPublicId(keyId, publicId) {
      if (!isStorableText(publicId)) return null;
      let q = db.selectFrom('tasks').selectAll().where('public_id', '=', publicId);
      if (keyId !== null) q = q.where('key_id', '=', keyId);
      const row = await q.executeTakeFirst();
      return row ? rowToTask(row) : null;
    },

    async ledgerFor(taskId) {
      return db.selectFrom('ledger').select(['entry', 'micros', 'outcome', 'created_at']).where('task_id', '=', taskId).orderBy('created_at').orderBy('id').execute();
    },
  };
}
