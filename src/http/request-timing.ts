/**
 * Times every request for the metrics: the matched route's pattern (`/v1/videos/text2video/:id`,
 * never the path with its ids, so the label set stays bounded), the method and the status. A
 * request no route matched is labelled `unmatched`. An event stream is timed to its first byte
 * (the handler returns as the stream begins), not to its end.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from './app-env.ts';

export type RequestObservation = { route: string; method: string; status: number; seconds: number };
export type RequestObserver = (request: RequestObservation) => void;

export const UNMATCHED_ROUTE = 'unmatched';
/** Any other method (a client may send any token) is counted as `other`, keeping the label set bounded. */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function timingRequests(observe: RequestObserver): MiddlewareHandler<AppEnv> {
  const timing: MiddlewareHandler<AppEnv> = async (c, next) => {
    const started = performance.now();
    await next();
    try {
      const method = METHODS.has(c.req.method) ? c.req.method : 'other';
      observe({ route: routeOf(c, timing), method, status: c.res.status, seconds: (performance.now() - started) / 1000 });
    } catch {
      // Counting a request must never change its answer.
    }
  };
  return timing;
}

/**
 * The pattern of the last handler that ran: the route's own, or a group's middleware (`/admin/*`)
 * when that answered first (a refused key); this middleware itself when nothing matched.
 */
function routeOf(c: Context<AppEnv>, self: MiddlewareHandler<AppEnv>): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  return route === undefined || route.handler === self ? UNMATCHED_ROUTE : route.path;
}
