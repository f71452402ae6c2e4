/**
 * `/admin`: master key only. Keys: create (the only time key, secret key and webhook secret are
 * shown), list, revoke, rotate the webhook secret, set the default webhook URL; channels.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { ChannelStatus } from '../../engine/channel-status.ts';
import type { ApiKeyStore } from '../../store/api-keys.ts';
import { callbackUrlRule } from '../../webhooks/callback-target.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import { reelayError } from '../reelay-error.ts';
import { errorResponse, type RenderError } from '../to-app-error.ts';

const createKeyBody = z.object({
  name: z
    .string({ error: 'name must be a string' })
    .trim()
    .min(1, 'name must not be empty')
    .max(200, 'name must be at most 200 characters')
    .regex(/^\P{Cc}*$/u, 'name must not contain control characters'),
});

const patchKeyBody = z.object({
  webhook_url: z.string({ error: 'webhook_url must be a URL string, or null to clear it' }).nullable(),
});

export function createAdminRoutes(deps: {
  authenticate: Authenticator;
  keys: ApiKeyStore;
  /** REELAY_ALLOW_PRIVATE_URLS: whether a webhook URL may be plain http or private. */
  allowPrivateUrls: boolean;
  /** Each upstream channel's health and load. */
  channels: () => Promise<ChannelStatus[]>;
  log: Logger;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', masterOnly(deps.authenticate));

  app.post('/keys', limitBody(), async (c) => {
    const parsed = createKeyBody.safeParse(await readJsonBody(c));
    if (!parsed.success) {
      throw new AppError('invalid_parameter', parsed.error.issues[0]?.message ?? 'invalid body', { field: 'name' });
    }
    return c.json(await deps.keys.create(parsed.data.name), 201);
  });

  app.get('/keys', async (c) => c.json({ keys: await deps.keys.list() }));

  app.get('/channels', async (c) => c.json({ channels: await deps.channels() }));

  app.delete('/keys/:id', async (c) => {
    if (!(await deps.keys.revoke(c.req.param('id')))) {
      throw new AppError('key_not_found', `key ${c.req.param('id')} does not exist or is already revoked`);
    }
    return c.json({ id: c.req.param('id'), revoked: true });
  });

  // The old secret stops signing at once: deliveries still pending are signed with the new one.
  app.post('/keys/:id/webhook-secret', async (c) => {
    const secret = await deps.keys.rotateWebhookSecret(c.req.param('id'));
    if (secret === null) throw keyNotFound(c.req.param('id'));
    return c.json({ id: c.req.param('id'), webhook_secret: secret });
  });

  app.patch('/keys/:id', limitBody(), async (c) => {
    const parsed = patchKeyBody.safeParse(await readJsonBody(c));
    if (!parsed.success) throw new AppError('invalid_parameter', parsed.error.issues[0]?.message ?? 'invalid body', { field: 'webhook_url' });
    const url = parsed.data.webhook_url;
    const rule = url === null ? null : callbackUrlRule(url, { allowPrivate: deps.allowPrivateUrls });
    if (rule !== null) throw new AppError('invalid_parameter', `webhook_url ${rule}`, { field: 'webhook_url' });
    if (!(await deps.keys.setWebhookUrl(c.req.param('id'), url))) throw keyNotFound(c.req.param('id'));
    return c.json({ id: c.req.param('id'), webhook_url: url });
  });

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

function keyNotFound(id: string): AppError {
  return new AppError('key_not_found', `key ${id} does not exist or is revoked`);
}
