/**
 * Idempotency records: one per (API key, Idempotency-Key), naming the task the first create made.
 * The record is written inside the task's own insert transaction (task-repository `insert`), so a
 * record never names a task that was not committed, and a task made under a key always has one.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, IdempotencyKeysTable } from './schema.ts';
import { isUniqueViolation } from './text-guards.ts';

export type IdempotencyRecord = {
  keyId: string;
  key: string;
  route: string;
  bodyHash: string;
  /** Internal id of the task the first request created. */
  taskId: string;
  statusCode: number;
  createdAt: number;
  expiresAt: number;
};

/** What a create asks to record next to its new task (the owner, task id and time come from the task). */
export type IdempotencyClaim = Pick<IdempotencyRecord, 'key' | 'route' | 'bodyHash' | 'statusCode' | 'expiresAt'>;

/**
 * Another request holds the (API key, Idempotency-Key) pair: its record was committed first. On
 * PostgreSQL the losing insert waited for the winner's commit, so the winner's row is readable now.
 */
export class IdempotencyKeyTaken extends Error {
  constructor(cause: unknown) {
    super('the Idempotency-Key was recorded by another request first', { cause });
    this.name = 'IdempotencyKeyTaken';
  }
}

export type IdempotencyKeys = ReturnType<typeof createIdempotencyKeys>;

export function createIdempotencyKeys(db: Kysely<Database>) {
  return {
    /** The record of a key's Idempotency-Key, expired or not (the caller compares `expiresAt`). */
    async find(keyId: string, key: string): Promise<IdempotencyRecord | null> {
      const row = await db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('key_id', '=', keyId)
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      return row ? rowToRecord(row) : null;
    },
  };
}

/**
 * Records the claim for `taskId` inside the task's transaction. An expired record of the same
 * pair is deleted first (only if still expired: a fresh one written meanwhile stays and wins);
 * a live one makes the insert violate the primary key, reported as IdempotencyKeyTaken.
 */
export async function recordIdempotencyKey(
  trx: Transaction<Database>,
  owner: { keyId: string; taskId: string; now: number },
  claim: IdempotencyClaim,
): Promise<void> {
  await trx
    .deleteFrom('idempotency_keys')
    .where('key_id', '=', owner.keyId)
    .where('idempotency_key', '=', claim.key)
    .where('expires_at', '<=', owner.now)
    .execute();
  try {
    await trx
      .insertInto('idempotency_keys')
      .values({
        key_id: owner.keyId,
        idempotency_key: claim.key,
        route: claim.route,
        body_hash: claim.bodyHash,
        task_id: owner.taskId,
        status_code: claim.statusCode,
        created_at: owner.now,
        expires_at: claim.expiresAt,
      })
      .execute();
  } catch (e) {
    // SQLite names the columns (idempotency_keys.idempotency_key), PostgreSQL the constraint (idempotency_keys_pk).
    if (isUniqueViolation(e, 'idempotency_key')) throw new IdempotencyKeyTaken(e);
    throw e;
  }
}

function rowToRecord(row: Selectable<IdempotencyKeysTable>): IdempotencyRecord {
  return {
    keyId: row.key_id,
    key: row.idempotency_key,
    route: row.route,
    bodyHash: row.body_hash,
    taskId: row.task_id,
    statusCode: row.status_code,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
