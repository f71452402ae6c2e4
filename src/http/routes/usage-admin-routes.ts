/**
 * `GET /admin/usage?key=&from=&to=` (master key only): the ledger summed per key, model, tier and
 * UTC day, with totals (src/billing/usage.ts). `from`/`to`: an RFC 3339 date-time or a date,
 * `to` exclusive, the last 30 days by default (src/billing/usage-window.ts); `key`: one key's id
 * (`master` for the master key's tasks), every key when absent.
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { UsageReporter } from '../../billing/usage.ts';
import { parseUsageWindow } from '../../billing/usage-window.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import { errorResponse } from '../to-app-error.ts';
import { adminError, masterOnly } from './admin-routes.ts';

export function createUsageAdminRoutes(deps: { authenticate: Authenticator; usage: UsageReporter; now: () => number; log: Logger }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/usage', masterOnly(deps.authenticate));

  app.get('/usage', async (c) => {
    const window = parseUsageWindow({ from: c.req.query('from'), to: c.req.query('to') }, deps.now());
    // `key=` left empty filters nothing, as a form with a blank field means.
    const key = c.req.query('key') || null;
    const report = await deps.usage({ ...window, ...(key === null ? {} : { keyId: key }) });
    return c.json({ from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), key, ...report });
  });

  app.onError((e, c) => errorResponse(c, deps.log, e, adminError));
  return app;
}
