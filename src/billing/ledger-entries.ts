/** Writes ledger rows: every movement of a key's money, inside the transaction that causes it. */
import type { Kysely } from 'kysely';
import { internalId } from '../domain/ids.ts';
import type { Database, LedgerTable } from '../store/schema.ts';

export type LedgerEntry = Omit<LedgerTable, 'id'>;

/** Rows with 0 micro-credits say nothing and are left out (a full refund has no capture row). */
export async function writeLedger(trx: Kysely<Database>, entries: LedgerEntry[]): Promise<void> {
  const rows = entries.filter((e) => e.entry === 'hold' || e.micros > 0).map((e) => ({ id: internalId(e.created_at), ...e }));
  if (rows.length > 0) await trx.insertInto('ledger').values(rows).execute();
}
