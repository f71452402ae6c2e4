/**
 * A key's tasks in batches: by a list of public ids or external ids, and a time window read page
 * by page with an opaque cursor (Kling's new-design `GET /tasks` and `POST /tasks`, spec §1.11).
 * Every query starts with `key_id`, so another key's tasks are simply not there.
 */
import type { Kysely } from 'kysely';
import { AppError } from '../domain/errors.ts';
import type { Task, TaskKind, TaskStatus } from '../domain/task.ts';
import type { Database } from './schema.ts';
import { rowToTask } from './task-rows.ts';
import { isStorableText } from './text-guards.ts';

export type TaskBatchFilter = {
  /** Only tasks created by these dialects; absent = any dialect. */
  dialects?: readonly string[] | undefined;
};

export type TaskWindowQuery = TaskBatchFilter & {
  keyId: string;
  /** Inclusive bounds on `created_at`, epoch ms. */
  from: number;
  to: number;
  /** A `nextCursor` of an earlier page, or null for the first page. */
  cursor: string | null;
  limit: number;
  /** absent = any; an empty list matches nothing. */
  statuses?: readonly TaskStatus[] | undefined;
  kinds?: readonly TaskKind[] | undefined;
};

export type TaskWindowPage = { tasks: Task[]; nextCursor: string | null; hasMore: boolean };

export type TaskBatchQueries = ReturnType<typeof createTaskBatchQueries>;

/** Where a page ended: the last task's creation time and public id (never the internal id). */
type CursorPosition = { createdAt: number; publicId: string };

export function encodeTaskCursor(position: CursorPosition): string {
  return Buffer.from(`${position.createdAt}:${position.publicId}`, 'utf8').toString('base64url');
}

/** Throws AppError (field `cursor`) for anything this server did not issue. */
export function decodeTaskCursor(cursor: string): CursorPosition {
  const invalid = () => new AppError('invalid_parameter', 'cursor is not a cursor returned by an earlier page', { field: 'cursor' });
  if (!/^[A-Za-z0-9_-]{1,700}$/.test(cursor)) throw invalid();
  const match = /^(\d{1,15}):(.+)$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2] || !isStorableText(match[2])) throw invalid();
  return { createdAt: Number(match[1]), publicId: match[2] };
}

export function createTaskBatchQueries(db: Kysely<Database>) {
  const owned = (keyId: string, filter: TaskBatchFilter) => {
    let q = db.selectFrom('tasks').selectAll().where('key_id', '=', keyId);
    if (filter.dialects) q = q.where('dialect', 'in', [...filter.dialects]);
    return q;
  };
  // An id PostgreSQL cannot store matches no task; it must not reach the query.
  const unique = (ids: readonly string[]) => [...new Set(ids)].filter(isStorableText);

  return {
    /** The key's tasks with these public ids, in the order asked; unknown ids are left out. */
    async findOwnedByPublicIds(keyId: string, publicIds: readonly string[], filter: TaskBatchFilter = {}): Promise<Task[]> {
      const ids = unique(publicIds);
      if (ids.length === 0 || filter.dialects?.length === 0) return [];
      const rows = await owned(keyId, filter).where('public_id', 'in', ids).execute();
      const byId = new Map(rows.map((r) => [r.public_id, r]));
      return ids.flatMap((id) => {
        const row = byId.get(id);
        return row ? [rowToTask(row)] : [];
      });
    },

    /** The key's tasks with these external ids (unique per key), in the order asked. */
    async findOwnedByExternalIds(keyId: string, externalIds: readonly string[], filter: TaskBatchFilter = {}): Promise<Task[]> {
      const ids = unique(externalIds);
      if (ids.length === 0 || filter.dialects?.length === 0) return [];
      const rows = await owned(keyId, filter).where('external_task_id', 'in', ids).execute();
      const byId = new Map(rows.map((r) => [r.external_task_id, r]));
      return ids.flatMap((id) => {
        const row = byId.get(id);
        return row ? [rowToTask(row)] : [];
      });
    },

    /**
     * The key's tasks created in [from, to], newest first, `limit` at a time. Keyset paging on
     * (created_at, public_id): a task created while a client pages never shifts later pages.
     */
    async listOwnedInWindow(query: TaskWindowQuery): Promise<TaskWindowPage> {
      const after = query.cursor === null ? null : decodeTaskCursor(query.cursor);
      const empty = { tasks: [], nextCursor: null, hasMore: false };
      if (query.statuses?.length === 0 || query.kinds?.length === 0 || query.dialects?.length === 0) return empty;
      let q = owned(query.keyId, query).where('created_at', '>=', query.from).where('created_at', '<=', query.to);
      if (query.statuses) q = q.where('status', 'in', [...query.statuses]);
      if (query.kinds) q = q.where('kind', 'in', [...query.kinds]);
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', after.createdAt),
            eb.and([eb('created_at', '=', after.createdAt), eb('public_id', '<', after.publicId)]),
          ]),
        );
      }
      // One row more than asked tells whether another page exists without a COUNT.
      const rows = await q.orderBy('created_at', 'desc').orderBy('public_id', 'desc').limit(query.limit + 1).execute();
      const page = rows.slice(0, query.limit);
      const hasMore = rows.length > query.limit;
      const last = page.at(-1);
      return {
        tasks: page.map(rowToTask),
        nextCursor: hasMore && last ? encodeTaskCursor({ createdAt: last.created_at, publicId: last.public_id }) : null,
        hasMore,
      };
    },
  };
}
