/** OpenAI videos: /v1/videos... — not yet served (issue 3 in progress). */
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import type { RouteDeps } from '../route-deps.ts';

export function createOpenAiVideoRoutes(_deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
