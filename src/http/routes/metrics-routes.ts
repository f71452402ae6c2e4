/**
 * `GET /metrics`: the Prometheus text exposition, master key only (it tells how busy the service
 * is and what it has billed). The registry lives with the wiring (src/metrics/); this room only
 * asks it for the text.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { AppError } from '../../domain/errors.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import { errorResponse } from '../to-app-error.ts';
import { adminError } from './admin-routes.ts';

/** The exposition and its content type (`text/plain; version=0.0.4; charset=utf-8`). */
export type MetricsText = { contentType: string; body: string };

export function createMetricsRoutes(deps: { authenticate: Authenticator; render: () => Promise<MetricsText>; log: Logger }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const masterOnly = createMiddleware<AppEnv>(async (c, next) => {
    const owner = await deps.authenticate(c.req.header('authorization'));
    if (!owner.isMaster) throw new AppError('forbidden', 'only the master key may read /metrics');
    c.set('owner', owner);
    await next();
  });
  app.get('/metrics', masterOnly, async (c) => {
    const { contentType, body } = await deps.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
  app.onError((e, c) => errorResponse(c, deps.log, e, adminError));
  return app;
}
