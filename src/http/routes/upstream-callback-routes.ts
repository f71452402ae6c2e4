/**
 * `POST /callbacks/upstream/{task id}/{token}`: where an upstream (Kling, a reseller) tells Reelay
 * a task changed. It is only a hint: the body is not trusted or even parsed; the task is made
 * due at once and its worker asks the upstream itself before acting. The token is an HMAC of the
 * task id, so a guessed id wakes nothing. Kling expects HTTP 200 from a callback receiver.
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { UpstreamCallbackTokens } from '../../engine/upstream-callback-token.ts';
import type { AppEnv } from '../app-env.ts';
import { limitBody } from '../read-json.ts';

export function createUpstreamCallbackRoutes(deps: {
  tokens: UpstreamCallbackTokens;
  /** Makes the task due now; false when it is finished or unknown. */
  nudge: (taskId: string) => Promise<boolean>;
  log: Logger;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/:taskId/:token', limitBody(), async (c) => {
    const { taskId, token } = c.req.param();
    if (!deps.tokens.verify(taskId, token)) return c.json({ code: 404, message: 'unknown callback address' }, 404);
    // Drain the body so the connection can be reused; its content is not used.
    await c.req.arrayBuffer();
    const woke = await deps.nudge(taskId);
    deps.log.debug({ taskId, woke }, 'upstream callback');
    return c.json({ code: 0, message: 'SUCCEED' }, 200);
  });
  return app;
}
