/**
 * Every read and write of the tasks table. State changes are `UPDATE ... WHERE status = <expected>
 * AND lease_token = <mine>`, so an illegal or stale transition changes 0 rows and reports false.
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import { AppError } from '../domain/errors.ts';
import type { Task, TaskFailure, TaskKind, TaskResult, TaskStatus } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';
import type { DatabaseKind } from './database.ts';
import { recordIdempotencyKey, type IdempotencyClaim } from './idempotency-keys.ts';
import type { Database, TasksTable } from './schema.ts';
import { createGroupCommit } from './group-commit.ts';
import type { TaskOutbox } from './task-outbox.ts';
import { rowToTask } from './task-rows.ts';
import { leasedTransition, terminalFields } from './task-transition.ts';
import { isStorableText, isUniqueViolation } from './text-guards.ts';

export type NewTask = {
  id: string;
  publicId: string;
  keyId: string;
  dialect: string;
  kind: TaskKind;
  request: VideoRequest;
  provider: string;
  now: number;
  /** Micro-credits held for the task (written by `admit` in the same transaction); absent = none. */
  holdMicros?: number | null | undefined;
};

/** Checks a key's limits and takes the task's hold inside the create transaction; throws to refuse. */
export type Admit = (trx: Kysely<Database>) => Promise<void>;

export type TaskRepository = ReturnType<typeof createTaskRepository>;

/** An upstream's charge for a render: it finished it; `units` is what it reported (null: nothing reported). */
export type UpstreamCharge = { units: number | null };

export type LeaseRenewal = 'kept' | 'lost' | 'cancel_requested';

/** The provider that renders on this machine; every other provider value is a remote channel (or `auto`). */
export const LOCAL_PROVIDER = 'preview';

/**
 * Which tasks a claim may take: local renders are CPU-bound and few at a time, remote tasks are
 * waits on an upstream and many at a time, so the worker claims them from separate pools.
 */
export type TaskPool = 'local' | 'remote' | 'any';

/** `outbox` queues the client's delivery with each status change (absent: none are queued). */
export function createTaskRepository(db: Kysely<Database>, kind: DatabaseKind, outbox?: TaskOutbox) {
  const byId = (id: string) => db.selectFrom('tasks').selectAll().where('id', '=', id);
  // Creates that arrive together share a transaction and its fsync (SQLite; see group-commit.ts).
  const createInGroup = createGroupCommit(db, kind);

  return {
    /**
     * Persists a queued task, due at once. With `idempotency` the key's record is written in the
     * same transaction and before the task row: a concurrent duplicate then fails on the record
     * (IdempotencyKeyTaken, answered as a replay), never on the task's external_task_id (a 1201)
     * and before `admit` has taken a hold or a rate token. `admit` runs in the same transaction:
     * when it refuses, nothing of the task is kept.
     */
    async insert(t: NewTask, idempotency?: IdempotencyClaim, admit?: Admit): Promise<Task> {
      try {
        return await createInGroup(async (trx) => {
          if (idempotency) await recordIdempotencyKey(trx, { keyId: t.keyId, taskId: t.id, now: t.now }, idempotency);
          if (admit) await admit(trx);
          return insertTaskRow(trx, t);
        });
      } catch (e) {
        if (isUniqueViolation(e, 'external_task_id') && t.request.externalTaskId !== null) {
          throw new AppError(
            'duplicate_external_task_id',
            `external_task_id ${JSON.stringify(t.request.externalTaskId)} is already used by another task of this key`,
            { field: 'external_task_id', cause: e },
          );
        }
        throw e;
      }
    },

    async get(id: string): Promise<Task | null> {
      const row = await byId(id).executeTakeFirst();
      return row ? rowToTask(row) : null;
    },

    /**
     * A key's task by its public id or by the key's own external_task_id; a public id wins over
     * another task's identical external id. Two lookups, each on its own unique index, rather than
     * one OR: the first is the common case and costs a single index seek (a status read's query,
     * profiled against 1,000,000 stored tasks).
     */
    async findOwned(keyId: string, idOrExternal: string, taskKind?: TaskKind): Promise<Task | null> {
      if (!isStorableText(idOrExternal)) return null;
      const owned = (column: 'public_id' | 'external_task_id') => {
        let q = db.selectFrom('tasks').selectAll().where(column, '=', idOrExternal).where('key_id', '=', keyId);
        if (taskKind) q = q.where('kind', '=', taskKind);
        return q.executeTakeFirst();
      };
      const row = (await owned('public_id')) ?? (await owned('external_task_id'));
      return row ? rowToTask(row) : null;
    },

    /** A key's tasks of one kind, newest first. */
    async listOwned(keyId: string, taskKind: TaskKind, offset: number, limit: number): Promise<Task[]> {
      const rows = await db
        .selectFrom('tasks')
        .selectAll()
        .where('key_id', '=', keyId)
        .where('kind', '=', taskKind)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(offset)
        .limit(limit)
        .execute();
      return rows.map(rowToTask);
    },

    /**
     * Leases up to `limit` due tasks to `token` until `now + leaseMs`. The lease is the new due
     * time: a worker that dies simply lets it pass and the task is due again.
     */
    async claimDue(now: number, limit: number, leaseMs: number, token: string, pool: TaskPool = 'any'): Promise<Task[]> {
      let due = db.selectFrom('tasks').select('id').where('due_at', '<=', now).orderBy('due_at').limit(limit);
      if (pool === 'local') due = due.where('provider', '=', LOCAL_PROVIDER);
      if (pool === 'remote') due = due.where('provider', '<>', LOCAL_PROVIDER);
      // A read first: most claims find nothing due, and a read costs no write (no lock, no commit).
      if ((await due.limit(1).execute()).length === 0) return [];
      if (kind === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('tasks')
        .set({ lease_token: token, due_at: now + leaseMs, attempts: sql`attempts + 1`, updated_at: now })
        .where('id', 'in', due)
        .where('due_at', 'is not', null)
        .returningAll()
        .execute();
      return rows.map(rowToTask);
    },

    /**
     * Extends the lease. 'lost' when it is not mine any more (it expired and was claimed again, or
     * the client canceled the queued task); 'cancel_requested' (lease extended) when the client
     * asked to cancel meanwhile, so a local render can stop instead of finishing a discarded video.
     */
    async renewLease(id: string, token: string, until: number): Promise<LeaseRenewal> {
      const row = await db
        .updateTable('tasks')
        .set({ due_at: until })
        .where('id', '=', id)
        .where('lease_token', '=', token)
        .where('due_at', 'is not', null)
        .returning('cancel_requested_at')
        .executeTakeFirst();
      if (!row) return 'lost';
      return row.cancel_requested_at === null ? 'kept' : 'cancel_requested';
    },

    /** queued -> running. */
    async start(id: string, token: string, now: number): Promise<boolean> {
      return transition(id, token, 'queued', { status: 'running', started_at: now, updated_at: now });
    },

    async setProgress(id: string, token: string, progress: number, now: number): Promise<boolean> {
      return transition(id, token, 'running', { progress, updated_at: now });
    },

    /** Gives the lease back and asks to be looked at again at `dueAt` (a clean hand-back). */
    async defer(id: string, token: string, status: TaskStatus, dueAt: number, now: number): Promise<boolean> {
      return transition(id, token, status, { due_at: dueAt, lease_token: null, attempts: 0, updated_at: now });
    },

    /** running -> completed, with the stored outputs; false too when the client asked to cancel (see `cancel`). */
    async complete(id: string, token: string, result: TaskResult, unitsCharged: number | null, now: number): Promise<boolean> {
      return leasedTransition(
        db,
        id,
        token,
        'running',
        { status: 'completed', progress: 100, result: JSON.stringify(result), units_charged: unitsCharged, ...terminal(now) },
        { cancelRequested: false, outbox },
      );
    },

    /**
     * queued | running -> canceled, only when the client asked to cancel: the engine's end of a
     * cancel request. `charge` says the upstream finished (and charged for) the discarded render,
     * with the units it reported if any; null when nothing was charged upstream. Billing decides
     * the refund on it.
     */
    async cancel(id: string, token: string, from: TaskStatus, charge: UpstreamCharge | null, now: number): Promise<boolean> {
      const charged = charge === null ? {} : { units_charged: charge.units, upstream_charged: 1 };
      return leasedTransition(db, id, token, from, { status: 'canceled', ...charged, ...terminal(now) }, { cancelRequested: true, outbox });
    },

    /** queued | running -> failed. */
    async fail(id: string, token: string, from: TaskStatus, failure: TaskFailure, now: number): Promise<boolean> {
      return transition(id, token, from, {
        status: 'failed',
        error_code: failure.code,
        error_message: failure.message,
        ...terminal(now),
      });
    },
  };

  function terminal(now: number) {
    return terminalFields(now);
  }

  function transition(id: string, token: string, from: TaskStatus, set: Updateable<TasksTable>): Promise<boolean> {
    return leasedTransition(db, id, token, from, set, { outbox });
  }
}

/** The task row itself, on the database or inside a transaction. */
async function insertTaskRow(db: Kysely<Database>, t: NewTask): Promise<Task> {
  const row = await db
    .insertInto('tasks')
    .values({
      id: t.id,
      public_id: t.publicId,
      key_id: t.keyId,
      dialect: t.dialect,
      kind: t.kind,
      model: t.request.model,
      request: JSON.stringify(t.request),
      status: 'queued',
      progress: 0,
      provider: t.provider,
      upstream_id: null,
      external_task_id: t.request.externalTaskId,
      attempts: 0,
      due_at: t.now,
      lease_token: null,
      result: null,
      error_code: null,
      error_message: null,
      units_charged: null,
      created_at: t.now,
      updated_at: t.now,
      started_at: null,
      finished_at: null,
      hold_micros: t.holdMicros ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToTask(row);
}
