/** Novita async (seed 003): /v3/async/... — not yet served (issue 3 in progress). */
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import type { RouteDeps } from '../route-deps.ts';

export function createNovitaRoutes(_deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
