/**
 * `/admin`: master key only. Keys: create (the only time key, secret key and webhook secret are
 * shown) with limits, list, show, update limits and the default webhook URL, revoke, rotate the
 * webhook secret; channels.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { AppError } from '../../domain/errors.ts';
import type { ChannelStatus } from '../../engine/channel-status.ts';
import type { ApiKeyStore } from '../../store/api-keys.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import { createKeyFromBody, keyNotFound, revokeKey, updateKeyFromBody } from '../admin-actions.ts';
import { renderKey } from '../key-limits-body.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import { reelayError } from '../reelay-error.ts';
import { errorResponse, type RenderError } from '../to-app-error.ts';

export function createAdminRoutes(deps: {
  authenticate: Authenticator;
  keys: ApiKeyStore;
  /** REELAY_ALLOW_PRIVATE_URLS: whether a webhook URL may be plain http or private. */
  allowPrivateUrls: boolean;
  /** Each upstream channel's health and load. */
  channels: () => Promise<ChannelStatus[]>;
  /** Models this server serves: a key's `models` must name only these. */
  models: readonly string[];
  log: Logger;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', masterOnly(deps.authenticate));

  app.post('/keys', limitBody(), async (c) => c.json(await createKeyFromBody(deps, await readJsonBody(c)), 201));

  app.get('/keys', async (c) => c.json({ keys: (await deps.keys.list()).map(renderKey) }));

  app.get('/keys/:id', async (c) => {
    const info = await deps.keys.get(c.req.param('id'));
    if (!info) throw keyNotFound(c.req.param('id'));
    return c.json(renderKey(info));
  });

  app.get('/channels', async (c) => c.json({ channels: await deps.channels() }));

  app.delete('/keys/:id', async (c) => {
    await revokeKey(deps.keys, c.req.param('id'));
    return c.json({ id: c.req.param('id'), revoked: true });
  });

  // The old secret stops signing at once: deliveries still pending are signed with the new one.
  app.post('/keys/:id/webhook-secret', async (c) => {
    const secret = await deps.keys.rotateWebhookSecret(c.req.param('id'));
    if (secret === null) throw keyNotFound(c.req.param('id'));
    return c.json({ id: c.req.param('id'), webhook_secret: secret });
  });

  // Limits and the default webhook URL; fields left out are left alone, null clears (unlimited).
  app.patch('/keys/:id', limitBody(), async (c) => c.json(await updateKeyFromBody(deps, c.req.param('id'), await readJsonBody(c))));

  app.notFound((c) => reelayError(c, 404, 'route_not_found', `${c.req.method} ${c.req.path} is not an admin route`));
  app.onError((e, c) => errorResponse(c, deps.log, e, adminError));
  return app;
}

/** Every /admin route group: the master key only. */
export function masterOnly(authenticate: Authenticator) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const owner = await authenticate(c.req.header('authorization'));
    if (!owner.isMaster) throw new AppError('forbidden', 'only the master key may use /admin');
    c.set('owner', owner);
    await next();
  });
}

/** The admin envelope: `{error: {code, message, request_id}}`. */
export const adminError: RenderError = (error, requestId) => ({
  status: error.status,
  body: { error: { code: error.code, message: error.message, request_id: requestId } },
});
