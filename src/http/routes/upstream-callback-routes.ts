/**
 * `POST /callbacks/upstream/{task id}/{token}`: where an upstream (Kling, a reseller) tells Reelay
 * a task changed. The task is made due at once and the body kept for its check, unread here: the
 * check takes a final outcome from it when the channel's provider can read one for this very
 * upstream task (Kling's callbacks carry its query answer), and otherwise asks the upstream. The
 * token is an HMAC of the task id, so a guessed id wakes nothing. Kling expects HTTP 200.
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { UpstreamCallbackTokens } from '../../engine/upstream-callback-token.ts';
import type { AppEnv } from '../app-env.ts';
import { limitBody } from '../read-json.ts';

export function createUpstreamCallbackRoutes(deps: {
  tokens: UpstreamCallbackTokens;
  /** Makes the task due now, keeping the body for its check; false when it is finished or unknown. */
  nudge: (taskId: string, body: string) => Promise<boolean>;
  log: Logger;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/:taskId/:token', limitBody(), async (c) => {
    const { taskId, token } = c.req.param();
    if (!deps.tokens.verify(taskId, token)) return c.json({ code: 404, message: 'unknown callback address' }, 404);
    const woke = await deps.nudge(taskId, await c.req.text());
    deps.log.debug({ taskId, woke }, 'upstream callback');
    return c.json({ code: 0, message: 'SUCCEED' }, 200);
  });
  return app;
}
