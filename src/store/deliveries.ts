/**
 * The delivery outbox: one row per notification a client is owed. The sender leases due rows the
 * way workers lease tasks (`UPDATE ... RETURNING`, SKIP LOCKED on PostgreSQL): the lease is the
 * new due time, so a sender that dies lets it pass and the row is due again; every write after
 * the claim names the lease token, so a stale attempt changes nothing.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { internalId } from '../domain/ids.ts';
import type { DatabaseKind } from './database.ts';
import type { Database, DeliveriesTable } from './schema.ts';
import { isStorableText } from './text-guards.ts';
import { listRecentDeliveries, type DeliveryListFilter } from './delivery-list.ts';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export type DeliveryRow = Selectable<DeliveriesTable>;

export type NewDelivery = {
  taskId: string;
  keyId: string;
  url: string;
  /** The task status the delivery reports. */
  event: string;
  body: string;
  now: number;
  /** Set when the delivery cannot even be attempted (a body that could not be rendered). */
  failure?: string | undefined;
};

/** What the admin list shows of a delivery: never the body (it may carry links) nor any secret. */
export type DeliveryInfo = Omit<DeliveryRow, 'body' | 'lease_token' | 'due_at' | 'key_id'> & { public_task_id: string | null };

/** A failed attempt: what the receiver answered (if anything), why, and when to try again (null: give up). */
export type FailedAttempt = { httpStatus: number | null; error: string; retryAt: number | null };

/** The error text kept per delivery; a receiver's reply can be long, the column need not be. */
const ERROR_CHARS = 1000;

/**
 * Queues a delivery, due at once; on the database or inside the transaction of the status
 * change it reports. The id is the Standard Webhooks `webhook-id`: `msg_` + a time-ordered id.
 */
export async function insertDelivery(db: Kysely<Database>, d: NewDelivery): Promise<string> {
  const id = `msg_${internalId(d.now)}`;
  const failure = d.failure;
  const failed = failure !== undefined;
  await db
    .insertInto('deliveries')
    .values({
      id,
      task_id: d.taskId,
      key_id: d.keyId,
      url: d.url,
      event: d.event,
      body: d.body,
      status: failed ? 'failed' : 'pending',
      due_at: failed ? null : d.now,
      lease_token: null,
      last_status: null,
      last_error: failed ? failure.slice(0, ERROR_CHARS) : null,
      created_at: d.now,
      updated_at: d.now,
      delivered_at: null,
    })
    .execute();
  return id;
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>;

export function createDeliveryStore(db: Kysely<Database>, kind: DatabaseKind) {
  /** Only while the row is still leased to `token`. */
  const leased = (id: string, token: string) => db.updateTable('deliveries').where('id', '=', id).where('lease_token', '=', token);

  return {
    /** Leases up to `limit` due deliveries to `token` until `now + leaseMs`, counting one more attempt each. */
    async claimDue(now: number, limit: number, leaseMs: number, token: string): Promise<DeliveryRow[]> {
      let due = db.selectFrom('deliveries').select('id').where('due_at', '<=', now).orderBy('due_at').limit(limit);
      if (kind === 'postgres') due = due.forUpdate().skipLocked();
      return db
        .updateTable('deliveries')
        .set({ lease_token: token, due_at: now + leaseMs, attempts: sql<number>`attempts + 1`, updated_at: now })
        .where('id', 'in', due)
        .where('due_at', 'is not', null)
        .returningAll()
        .execute();
    },

    /** When the sender should look again: the earliest due time (a lease's end counts), or null. */
    async nextDueAt(): Promise<number | null> {
      const row = await db.selectFrom('deliveries').select('due_at').where('due_at', 'is not', null).orderBy('due_at').limit(1).executeTakeFirst();
      return row?.due_at ?? null;
    },

    /** The receiver answered 2xx: done for good. */
    async delivered(id: string, token: string, httpStatus: number, now: number): Promise<boolean> {
      const r = await leased(id, token)
        .set({ status: 'delivered', due_at: null, lease_token: null, last_status: httpStatus, last_error: null, updated_at: now, delivered_at: now })
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** An attempt failed: due again at `retryAt`, or failed for good when it is null. */
    async attemptFailed(id: string, token: string, failure: FailedAttempt, now: number): Promise<boolean> {
      const r = await leased(id, token)
        .set({
          status: failure.retryAt === null ? 'failed' : 'pending',
          due_at: failure.retryAt,
          lease_token: null,
          last_status: failure.httpStatus,
          last_error: failure.error.slice(0, ERROR_CHARS),
          updated_at: now,
        })
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** A stopping sender gives an unfinished attempt back: due now, and the attempt not counted. */
    async handBack(id: string, token: string, now: number): Promise<boolean> {
      const r = await leased(id, token)
        .set({ due_at: now, lease_token: null, attempts: sql<number>`attempts - 1`, updated_at: now })
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async get(id: string): Promise<DeliveryRow | null> {
      if (!isStorableText(id)) return null;
      return (await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
    },

    /** A task's deliveries, oldest first; `taskRef` is the task's internal id or its public id. */
    async listForTask(taskRef: string): Promise<DeliveryInfo[]> {
      if (!isStorableText(taskRef)) return [];
      return db
        .selectFrom('deliveries as d')
        .leftJoin('tasks as t', 't.id', 'd.task_id')
        .select([
          'd.id',
          'd.task_id',
          't.public_id as public_task_id',
          'd.url',
          'd.event',
          'd.status',
          'd.attempts',
          'd.last_status',
          'd.last_error',
          'd.created_at',
          'd.updated_at',
          'd.delivered_at',
        ])
        .where((eb) => eb.or([eb('d.task_id', '=', taskRef), eb('d.task_id', 'in', eb.selectFrom('tasks').select('id').where('public_id', '=', taskRef))]))
        .orderBy('d.created_at')
        .orderBy('d.id')
        .execute();
    },

    /** Every task's deliveries, newest first (the admin deliveries page). */
    listRecent: (filter: DeliveryListFilter): Promise<DeliveryInfo[]> => listRecentDeliveries(db, filter),

    /**
     * Starts a new attempt series: pending, due now, no attempts yet. `body` replaces the stored
     * one (a re-render with fresh media links). An attempt still in flight loses its lease, so its
     * outcome is not recorded. False when there is no such delivery.
     */
    async replay(id: string, now: number, body?: string): Promise<boolean> {
      if (!isStorableText(id)) return false;
      const r = await db
        .updateTable('deliveries')
        .set({
          status: 'pending',
          due_at: now,
          lease_token: null,
          attempts: 0,
          last_status: null,
          last_error: null,
          delivered_at: null,
          updated_at: now,
          ...(body !== undefined ? { body } : {}),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}
