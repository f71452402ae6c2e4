/** `/healthz`: the process answers. `/readyz`: the database answers too. */
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { pingDatabase } from '../../store/ping.ts';
import type { Database } from '../../store/schema.ts';
import type { AppEnv } from '../app-env.ts';

export function createHealthRoutes(deps: { db: Kysely<Database>; log: Logger }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await pingDatabase(deps.db);
      return c.json({ status: 'ready' });
    } catch (e) {
      // Unauthenticated route: the reason goes to the log, not to whoever asks.
      deps.log.error({ err: e }, 'readiness check: the database does not answer');
      return c.json({ status: 'unavailable', reason: 'the database does not answer' }, 503);
    }
  });
  return app;
}
