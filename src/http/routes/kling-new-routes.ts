/** Official Kling new design: /text-to-video/..., /image-to-video/..., /tasks — not yet served (issue 3 in progress). */
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import type { RouteDeps } from '../route-deps.ts';

export function createKlingNewRoutes(_deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
