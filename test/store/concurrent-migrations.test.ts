/**
 * Several instances starting at once on one PostgreSQL database each run the migrations: they
 * must all start, and the schema must come out once, complete. Runs where PostgreSQL is.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { MIGRATIONS, migrateToLatest } from '../../src/store/migrations.ts';
import { createPgSchema, postgresUrl } from '../support/databases.ts';

describe.skipIf(!postgresUrl)('migrations started by several instances at once (PostgreSQL)', () => {
  it('all succeed and apply each migration exactly once', async () => {
    const url = postgresUrl as string;
    const { schema } = await createPgSchema(url);
    const instances = Array.from({ length: 6 }, () => openDatabase({ url, dataDir: '', pgSchema: schema, pgPoolSize: 2 }));
    try {
      await Promise.all(instances.map((db) => migrateToLatest(db)));
      const db = instances[0]!;
      const applied = await db.kysely.selectFrom('kysely_migration' as never).select('name' as never).execute();
      expect(applied.map((r) => (r as { name: string }).name).sort()).toEqual(Object.keys(MIGRATIONS).sort());
      // The last migration's table is there and usable.
      expect(await db.kysely.selectFrom('ledger').select('id').execute()).toEqual([]);
    } finally {
      await Promise.all(instances.map((db) => db.close()));
    }
  });
});
