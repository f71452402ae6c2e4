/** Writes ledger rows: every movement of a key's money, inside the transaction that causes it. */
import type { Kysely } from 'kysely';
import { internalId } from '../domain/ids.ts';
import type { Database, LedgerTable } from '../store/schema.ts';

export type LedgerEntry = Omit<LedgerTable, 'id'>;

export async function writeLedger(trx: Kysely<Database>, entries: LedgerEntry[]): Promise<void> {
  const rows = entries.map((e) => ({ id: internalId(e.created_at), ...e }));
  if (rows.length > 0) await trx.insertInto('ledger').values(rows).execute();
}
