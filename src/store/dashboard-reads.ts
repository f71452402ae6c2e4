/**
 * What the dashboard reads that no API route does: the newest tasks across every dialect (one
 * key's, or everyone's for the master key), a task by its public id whatever its dialect, and a
 * task's ledger entries for its billing timeline.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from './database.ts';
import type { Task, TaskStatus } from '../domain/task.ts';
import type { Database, LedgerTable } from './schema.ts';
import { isStorableText } from './text-guards.ts';
import { rowToTask } from './task-rows.ts';

export type LedgerEntry = Pick<LedgerTable, 'entry' | 'micros' | 'outcome' | 'created_at'>;

export type DashboardReads = {
  /** Newest first; `keyId` null = every key's. Long frames in the requests read as FRAME_OMITTED. */
  recentTasks(opts: { keyId: string | null; limit: number; status?: TaskStatus | undefined }): Promise<Task[]>;
  /** A task by public id; `keyId` null = any key's (master). */
  taskByPublicId(keyId: string | null, publicId: string): Promise<Task | null>;
  ledgerFor(taskId: string): Promise<LedgerEntry[]>;
};

/** Frames longer than this (raw base64 images, up to megabytes) are not read into a task list. */
const LIST_FRAME_CHARS = 2048;
export const FRAME_OMITTED = '(omitted from the list)';

/**
 * The request column with long first/last frames replaced by FRAME_OMITTED, in SQL: a list shows
 * none of them, and a live list re-reads its rows every second.
 */
function listRequest(kind: DatabaseKind) {
  if (kind === 'sqlite') {
    const frame = (path: string) =>
      sql`case when length(json_extract(request, ${path})) > ${LIST_FRAME_CHARS} then ${FRAME_OMITTED} else json_extract(request, ${path}) end`;
    return sql<string>`json_set(request, '$.firstFrame', ${frame('$.firstFrame')}, '$.lastFrame', ${frame('$.lastFrame')})`.as('request');
  }
  const frame = (name: string) =>
    sql`case when length(request::jsonb->>${name}) > ${LIST_FRAME_CHARS} then to_jsonb(${FRAME_OMITTED}::text) else coalesce(request::jsonb->${name}, 'null'::jsonb) end`;
  return sql<string>`jsonb_set(jsonb_set(request::jsonb, '{firstFrame}', ${frame('firstFrame')}), '{lastFrame}', ${frame('lastFrame')})::text`.as('request');
}

export function createDashboardReads(db: Kysely<Database>, kind: DatabaseKind): DashboardReads {
  return {
    async recentTasks({ keyId, limit, status }) {
      let q = db.selectFrom('tasks').selectAll().select(listRequest(kind));
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
