/**
 * `/admin`: master key only. Keys: create (the only time key, secret key and webhook secret are
 * shown) with limits, list, show, update limits and the default webhook URL, revoke, rotate the
 * webhook secret; channels.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { ChannelStatus } from '../../engine/channel-status.ts';
import type { ApiKeyStore, KeyLimits } from '../../store/api-keys.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import { keyBodyProblems, keyLimitFields, renderKey, toKeyLimits, type KeyLimitFields } from '../key-limits-body.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import { reelayError } from '../reelay-error.ts';
import { errorResponse, type RenderError } from '../to-app-error.ts';

const webhookUrl = z.string({ error: 'webhook_url must be a URL string, or null to clear it' }).nullable();

const createKeyBody = z.object({
  name: z
    .string({ error: 'name must be a string' })
    .trim()
    .min(1, 'name must not be empty')
    .max(200, 'name must be at most 200 characters')
    .regex(/^\P{Cc}*$/u, 'name must not contain control characters'),
  ...keyLimitFields,
  webhook_url: webhookUrl.optional(),
})
  // A misspelt limit must not create an unlimited key.
  .strict();

const patchKeyBody = z
  .object({ ...keyLimitFields, webhook_url: webhookUrl.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'the body must set at least one of budget_credits, rpm, max_concurrency, models, expires_at, webhook_url');

/** The first problem of a body, naming its field. */
function invalidBody(error: z.ZodError): AppError {
  const issue = error.issues[0];
  const field = issue?.path.length ? String(issue.path[0]) : undefined;
  const message = issue?.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : (issue?.message ?? 'invalid body');
  return new AppError('invalid_parameter', message, field === undefined ? {} : { field });
}

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
  /** Checks the limits and webhook URL of a create or update body; the store's limits. */
  const checked = (body: KeyLimitFields & { webhook_url?: string | null | undefined }): Partial<KeyLimits> => {
    const limits = toKeyLimits(body);
    const [problem] = keyBodyProblems(limits, body.webhook_url, { models: deps.models, allowPrivateUrls: deps.allowPrivateUrls });
    if (problem) throw new AppError('invalid_parameter', problem.message, { field: problem.field });
    return limits;
  };

  const app = new Hono<AppEnv>();

  app.use('*', masterOnly(deps.authenticate));

  app.post('/keys', limitBody(), async (c) => {
    const parsed = createKeyBody.safeParse(await readJsonBody(c));
    if (!parsed.success) throw invalidBody(parsed.error);
    const limits = checked(parsed.data);
    const created = await deps.keys.create(parsed.data.name, limits);
    const url = parsed.data.webhook_url;
    if (url !== undefined && url !== null) await deps.keys.setWebhookUrl(created.id, url);
    const info = await deps.keys.get(created.id);
    return c.json({ ...(info ? renderKey(info) : {}), ...created }, 201);
  });

  app.get('/keys', async (c) => c.json({ keys: (await deps.keys.list()).map(renderKey) }));

  app.get('/keys/:id', async (c) => {
    const info = await deps.keys.get(c.req.param('id'));
    if (!info) throw keyNotFound(c.req.param('id'));
    return c.json(renderKey(info));
  });

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

  // Limits and the default webhook URL; fields left out are left alone, null clears (unlimited).
  app.patch('/keys/:id', limitBody(), async (c) => {
    const id = c.req.param('id');
    const parsed = patchKeyBody.safeParse(await readJsonBody(c));
    if (!parsed.success) throw invalidBody(parsed.error);
    const limits = checked(parsed.data);
    if (!(await deps.keys.setLimits(id, limits))) throw keyNotFound(id);
    if (parsed.data.webhook_url !== undefined && !(await deps.keys.setWebhookUrl(id, parsed.data.webhook_url))) throw keyNotFound(id);
    const info = await deps.keys.get(id);
    if (!info) throw keyNotFound(id);
    return c.json(renderKey(info));
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
