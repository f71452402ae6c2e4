/** The whole HTTP surface, assembled from its route groups. */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { ChannelStatus } from '../engine/channel-status.ts';
import type { TaskCreator } from '../engine/create-task.ts';
import { UPSTREAM_CALLBACK_PATH, type UpstreamCallbackTokens } from '../engine/upstream-callback-token.ts';
import type { LinkSigner } from '../media/signed-links.ts';
import type { Storage } from '../media/storage.ts';
import type { Thumbnailer } from '../media/thumbnail.ts';
import type { PriceTable } from '../billing/price-table.ts';
import { createUsageReport } from '../billing/usage.ts';
import { createTaskBatchQueries } from '../store/task-batch-queries.ts';
import { createTaskDeletion } from '../store/task-deletion.ts';
import { createTaskPageAfter } from '../store/task-page-after.ts';
import type { ApiKeyStore } from '../store/api-keys.ts';
import type { Database } from '../store/schema.ts';
import type { DatabaseKind } from '../store/database.ts';
import type { TaskRepository } from '../store/task-repository.ts';
import type { DeliveryStore } from '../store/deliveries.ts';
import type { Task } from '../domain/task.ts';
import type { AppEnv } from './app-env.ts';
import { createAuthenticator } from './authenticate.ts';
import { createAdminRoutes } from './routes/admin-routes.ts';
import { createDeliveryAdminRoutes } from './routes/delivery-admin-routes.ts';
import { createUsageAdminRoutes } from './routes/usage-admin-routes.ts';
import { checkingCallbackUrls } from './callback-url-check.ts';
import { createHealthRoutes } from './routes/health-routes.ts';
import { createOpenApiRoutes } from './openapi/openapi-routes.ts';
import { createKlingRoutes, klingRouteNotFound } from './routes/kling-routes.ts';
import { createKlingNewRoutes } from './routes/kling-new-routes.ts';
import { createMediaRoutes } from './routes/media-routes.ts';
import { createNovitaRoutes } from './routes/novita-routes.ts';
import { createOpenAiVideoRoutes } from './routes/openai-video-routes.ts';
import { createPricingRoutes } from './routes/pricing-routes.ts';
import { createUnifiedTaskRoutes } from './routes/unified-task-routes.ts';
import { createSharedTaskRoutes, type SharedTaskRouteDeps } from './routes/shared-task-routes.ts';
import { createUpstreamCallbackRoutes } from './routes/upstream-callback-routes.ts';
import { createMetricsRoutes, type MetricsText } from './routes/metrics-routes.ts';
import { createDashboardRoutes } from './dashboard/dashboard-routes.tsx';
import { createSessionStore, type SessionKeys } from './dashboard/dashboard-session.ts';
import { createDashboardReads } from '../store/dashboard-reads.ts';
import { timingRequests, type RequestObserver } from './request-timing.ts';
import type { RouteDeps } from './route-deps.ts';
import { reelayError } from './reelay-error.ts';

export type AppDeps = {
  db: Kysely<Database>;
  dbKind: DatabaseKind;
  tasks: TaskRepository;
  keys: ApiKeyStore;
  createTask: TaskCreator;
  storage: Storage;
  links: LinkSigner;
  masterKey: string;
  models: readonly string[];
  /** The merged price table (config `prices`): GET /v1/pricing and the estimate read it. */
  prices: PriceTable;
  /** A stored video's key -> a JPEG still (OpenAI `variant=thumbnail`). */
  thumbnail: Thumbnailer;
  /** Each upstream channel's health and load (`GET /admin/channels`). */
  channels: () => Promise<ChannelStatus[]>;
  /** Upstream callbacks: the per-task tokens, and making a task due now. */
  upstreamCallbacks: { tokens: UpstreamCallbackTokens; nudge: (taskId: string, body: string) => Promise<boolean> };
  /** Server-sent events and cancel, for every dialect's tasks. */
  sharedTaskRoutes: SharedTaskRouteDeps;
  /** Webhook deliveries: the outbox, the callback renderer (replays), waking the sender, REELAY_ALLOW_PRIVATE_URLS. */
  webhooks: { deliveries: DeliveryStore; renderCallback: (task: Task) => string | null; notifySender: () => void; allowPrivateUrls: boolean };
  /** The dashboard's session cookie and CSRF keys (derived from the server secret); cookies are Secure when the public URL is https. */
  dashboard: { sessionKeys: SessionKeys; secureCookies: () => boolean; publicUrl: () => string };
  /** `GET /metrics` and the request timings it reports; absent, neither exists. */
  metrics?: { observeRequest: RequestObserver; render: () => Promise<MetricsText> };
  log: Logger;
};

/** A request's path for the log: an upstream callback's token is a credential (it wakes the task), so it is cut. */
function loggedPath(path: string): string {
  return path.startsWith(`${UPSTREAM_CALLBACK_PATH}/`) ? path.replace(/\/[^/]*$/, '/[Redacted]') : path;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const authenticate = createAuthenticator({ keys: deps.keys, masterKey: deps.masterKey, log: deps.log });
  const mediaUrl = (key: string) => deps.links.url(key);
  const routeDeps: RouteDeps = {
    authenticate,
    createTask: checkingCallbackUrls(deps.createTask, { allowPrivate: deps.webhooks.allowPrivateUrls }),
    tasks: deps.tasks,
    models: deps.models,
    mediaUrl,
    mediaTtlSeconds: deps.links.ttlSeconds,
    storage: deps.storage,
    log: deps.log,
  };

  app.use('*', async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    // Never the headers: they carry keys. Nor an upstream callback's token (its last path segment).
    deps.log.debug({ requestId, method: c.req.method, path: loggedPath(c.req.path), status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  });
  if (deps.metrics) {
    app.use('*', timingRequests(deps.metrics.observeRequest));
    app.route('/', createMetricsRoutes({ authenticate, render: deps.metrics.render, log: deps.log }));
  }

  app.route('/', createHealthRoutes({ db: deps.db, log: deps.log }));
  app.route(
    '/dashboard',
    createDashboardRoutes({
      authenticate,
      sessions: createSessionStore({ keys: deps.keys, sessionKeys: deps.dashboard.sessionKeys, secureCookies: deps.dashboard.secureCookies, now: Date.now }),
      keys: deps.keys,
      tasks: deps.tasks,
      reads: createDashboardReads(deps.db, deps.dbKind),
      deliveries: deps.webhooks.deliveries,
      events: deps.sharedTaskRoutes.events,
      cancelTask: deps.sharedTaskRoutes.cancelTask,
      createTask: routeDeps.createTask,
      models: deps.models,
      prices: deps.prices,
      channels: deps.channels,
      usage: createUsageReport(deps.db),
      renderCallback: deps.webhooks.renderCallback,
      notifySender: deps.webhooks.notifySender,
      allowPrivateUrls: deps.webhooks.allowPrivateUrls,
      mediaUrl,
      publicUrl: deps.dashboard.publicUrl,
      pollMs: Math.min(deps.sharedTaskRoutes.timing.pollMs, 1000),
      keepAliveMs: deps.sharedTaskRoutes.timing.keepAliveMs,
      log: deps.log,
      now: Date.now,
    }),
  );
  app.route('/', createOpenApiRoutes({ models: deps.models }));
  app.route('/admin', createAdminRoutes({ authenticate, keys: deps.keys, allowPrivateUrls: deps.webhooks.allowPrivateUrls, channels: deps.channels, models: deps.models, log: deps.log }));
  const { deliveries, renderCallback, notifySender } = deps.webhooks;
  app.route('/admin', createDeliveryAdminRoutes({ authenticate, deliveries, tasks: deps.tasks, renderCallback, notifySender, now: Date.now, log: deps.log }));
  app.route('/admin', createUsageAdminRoutes({ authenticate, usage: createUsageReport(deps.db), now: Date.now, log: deps.log }));
  app.route(UPSTREAM_CALLBACK_PATH, createUpstreamCallbackRoutes({ ...deps.upstreamCallbacks, log: deps.log }));
  app.route('/media', createMediaRoutes({ storage: deps.storage, links: deps.links }));
  // Order matters where prefixes are shared: each group matches only its own paths.
  app.route('/v1', createPricingRoutes({ authenticate, models: deps.models, prices: deps.prices, log: deps.log }));
  app.route('/v1', createKlingRoutes(routeDeps, 'kling'));
  app.route('/kling/v1', createKlingRoutes(routeDeps, 'newapi'));
  app.route('/v1', createUnifiedTaskRoutes(routeDeps));
  app.route('/v1', createSharedTaskRoutes(routeDeps, deps.sharedTaskRoutes));
  app.route('/v1', createOpenAiVideoRoutes(routeDeps, deps.thumbnail, { pageAfter: createTaskPageAfter(deps.db), deleteTask: createTaskDeletion(deps.db) }));
  app.route('/v3/async', createNovitaRoutes(routeDeps));
  app.route('/', createKlingNewRoutes(routeDeps, createTaskBatchQueries(deps.db)));
  app.route('/v1', klingRouteNotFound());
  app.route('/kling/v1', klingRouteNotFound());
  app.notFound((c) => reelayError(c, 404, 'route_not_found', `${c.req.method} ${c.req.path} is not a Reelay route`));
  app.onError((e, c) => {
    deps.log.error({ err: e, requestId: c.get('requestId') }, 'unhandled error');
    return reelayError(c, 500, 'internal_error', 'internal error');
  });
  return app;
}
