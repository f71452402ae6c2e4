/** `/healthz`: the process answers. `/readyz`: the database answers too. */
import { Hono } from 'hono';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { AppEnv } from '../app-env.ts';

export function createHealthRoutes(deps: { db: Kysely<Database> }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await sql`select 1`.execute(deps.db);
      return c.json({ status: 'ready' });
    } catch (e) {
      return c.json({ status: 'unavailable', reason: `database: ${(e as Error).message}` }, 503);
    }
  });
  return app;
}
