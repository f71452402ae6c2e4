/** `/admin`: master key only. Keys: create (the only time key and secret are shown), list, revoke; channels. */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { ChannelStatus } from '../../engine/channel-status.ts';
import type { ApiKeyStore } from '../../store/api-keys.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import { reelayError } from '../reelay-error.ts';
import { errorResponse } from '../to-app-error.ts';

const createKeyBody = z.object({
  name: z
    .string({ error: 'name must be a string' })
    .trim()
    .min(1, 'name must not be empty')
    .max(200, 'name must be at most 200 characters')
    .regex(/^\P{Cc}*$/u, 'name must not contain control characters'),
});

export function createAdminRoutes(deps: {
  authenticate: Authenticator;
  keys: ApiKeyStore;
  /** Each upstream channel's health and load. */
  channels: () => Promise<ChannelStatus[]>;
  log: Logger;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const owner = await deps.authenticate(c.req.header('authorization'));
    if (!owner.isMaster) throw new AppError('forbidden', 'only the master key may use /admin');
    c.set('owner', owner);
    await next();
  });

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

  app.notFound((c) => reelayError(c, 404, 'route_not_found', `${c.req.method} ${c.req.path} is not an admin route`));
  app.onError((e, c) =>
    errorResponse(c, deps.log, e, (error, requestId) => ({
      status: error.status,
      body: { error: { code: error.code, message: error.message, request_id: requestId } },
    })),
  );
  return app;
}
