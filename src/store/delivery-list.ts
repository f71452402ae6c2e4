/**
 * The newest deliveries across every task, for the admin deliveries page. Ids are `msg_` + a
 * time-ordered id, so ordering by the primary key is newest first without another index.
 */
import type { Kysely } from 'kysely';
import type { DeliveryInfo, DeliveryStatus } from './deliveries.ts';
import type { Database } from './schema.ts';

export type DeliveryListFilter = { status?: DeliveryStatus | undefined; limit: number };

export async function listRecentDeliveries(db: Kysely<Database>, filter: DeliveryListFilter): Promise<DeliveryInfo[]> {
  let q = db
    .selectFrom('deliveries as d')
    .leftJoin('tasks as t', 't.id', 'd.task_id')
    .select(['d.id', 'd.task_id', 't.public_id as public_task_id', 'd.url', 'd.event', 'd.status', 'd.attempts', 'd.last_status', 'd.last_error', 'd.created_at', 'd.updated_at', 'd.delivered_at']);
  if (filter.status !== undefined) q = q.where('d.status', '=', filter.status);
  return q.orderBy('d.id', 'desc').limit(filter.limit).execute();
}
