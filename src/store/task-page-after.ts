/**
 * Cursor paging over one key's tasks (OpenAI's `GET /v1/videos?after=&limit=&order=`). The cursor
 * is a public id; the page continues strictly after that task in (created_at, id) order, so a
 * task created while a client pages never shifts or repeats a page, as offset paging would.
 */
import type { Kysely } from 'kysely';
import type { Task } from '../domain/task.ts';
import type { Database } from './schema.ts';
import { rowToTask } from './task-rows.ts';
import { isStorableText } from './text-guards.ts';

export type PageOrder = 'asc' | 'desc';

export type TaskPageQuery = {
  keyId: string;
  /** Only tasks created through this dialect (a task is only ever rendered in its own). */
  dialect: string;
  /** The public id of the task the page starts after; null for the first page. */
  after: string | null;
  order: PageOrder;
  limit: number;
};

/** `null` when `after` names no task of this key and dialect. */
export type TaskPage = { tasks: Task[]; hasMore: boolean } | null;

export type TaskPageAfter = (query: TaskPageQuery) => Promise<TaskPage>;

export function createTaskPageAfter(db: Kysely<Database>): TaskPageAfter {
  return async ({ keyId, dialect, after, order, limit }) => {
    let q = db.selectFrom('tasks').selectAll().where('key_id', '=', keyId).where('dialect', '=', dialect);
    if (after !== null) {
      if (!isStorableText(after)) return null;
      const cursor = await db
        .selectFrom('tasks')
        .select(['created_at', 'id'])
        .where('key_id', '=', keyId)
        .where('dialect', '=', dialect)
        .where('public_id', '=', after)
        .executeTakeFirst();
      if (!cursor) return null;
      const beyond = order === 'asc' ? '>' : '<';
      // Row-value comparison spelled out: SQLite and PostgreSQL both take it, and the id breaks
      // ties between tasks created in the same millisecond.
      q = q.where((eb) =>
        eb.or([
          eb('created_at', beyond, cursor.created_at),
          eb.and([eb('created_at', '=', cursor.created_at), eb('id', beyond, cursor.id)]),
        ]),
      );
    }
    // One row more than asked tells whether another page exists without a count query.
    const rows = await q.orderBy('created_at', order).orderBy('id', order).limit(limit + 1).execute();
    return { tasks: rows.slice(0, limit).map(rowToTask), hasMore: rows.length > limit };
  };
}
