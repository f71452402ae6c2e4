/** EvoLink (seeds 000, 002) and APIMart (seed 004): /v1/videos/generations and /v1/tasks/{id} — not yet served (issue 3 in progress). */
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import type { RouteDeps } from '../route-deps.ts';

export function createUnifiedTaskRoutes(_deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
