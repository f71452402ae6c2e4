/** Wires every room once and starts the HTTP server and the worker. `main` of the process. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pino, { type Logger } from 'pino';
import type { ChannelConfig, Config } from './config.ts';
import { settlingOutbox } from './billing/settlement.ts';
import { createTaskCreator } from './engine/create-task.ts';
import { createTaskCanceler } from './engine/cancel-task.ts';
import { createTaskEvents } from './engine/task-events.ts';
import { createWakeup } from './engine/wakeup.ts';
import { createCallbackNudge } from './engine/callback-news.ts';
import { createWorker, type Worker } from './engine/worker.ts';
import { createApp } from './http/app.ts';
import { createDiskStorage } from './media/disk-storage.ts';
import { resolveFfmpegBinaries, type FfmpegBinaries } from './media/ffmpeg-binaries.ts';
import { probeVideo } from './media/probe-video.ts';
import { createLinkSigner } from './media/signed-links.ts';
import { createThumbnailer } from './media/thumbnail.ts';
import { createGuardedImageLoader } from './providers/preview/guarded-image-loader.ts';
import { createPreviewProvider } from './providers/preview/preview-provider.ts';
import type { Provider } from './providers/provider.ts';
import { loadServerSecrets, type ServerSecrets } from './secrets.ts';
import { deriveSessionKeys } from './http/dashboard/dashboard-session.ts';
import { createApiKeyStore } from './store/api-keys.ts';
import { openDatabase, type Db } from './store/database.ts';
import { createIdempotencyKeys } from './store/idempotency-keys.ts';
import { migrateToLatest } from './store/migrations.ts';
import { createTaskCancels } from './store/task-cancel.ts';
import { LOCAL_PROVIDER, createTaskRepository } from './store/task-repository.ts';
import { ROUTE_PENDING, createUpstreamTasks } from './store/upstream-tasks.ts';
import { buildChannels } from './engine/build-channels.ts';
import { createChannelRouter } from './engine/channel-router.ts';
import { createChannelStatus } from './engine/channel-status.ts';
import { channelFingerprint } from './engine/channel-health.ts';
import { createRequestPacer, createSharedRequestPacer, gapMsOf } from './providers/request-pacer.ts';
import { createChannelStates } from './store/channel-states.ts';
import type { RemoteTaskDeps } from './engine/remote/remote-attempt.ts';
import { createUpstreamCallbackTokens } from './engine/upstream-callback-token.ts';
import { createUrlGuard } from './webhooks/url-guard.ts';
import { createWebhookDeliveries } from './webhook-deliveries.ts';
import { createInstanceWakeups } from './instance-wakeups.ts';
import { createMetrics } from './metrics.ts';

/** The largest upstream video Reelay copies (a 15 s 4k clip is far below this). */
const MAX_VIDEO_BYTES = 2 * 1024 * 1024 * 1024;
const VIDEO_DOWNLOAD_MS = 10 * 60_000;
/** How long a stopping server lets requests in progress finish before it closes their connections. */
const DRAIN_MS = 10_000;

export type RunningServer = {
  url: string;
  secrets: ServerSecrets;
  ffmpeg: FfmpegBinaries;
  db: Db;
  worker: Worker;
  /** Drains HTTP, hands running tasks back, closes the database. */
  close(): Promise<void>;
};

/** Redacts every place a secret could appear in a log line. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({
    level,
    redact: ['req.headers.authorization', 'headers.authorization', '*.key', '*.secret_key', '*.secretKey', '*.masterKey', '*.webhook_secret', '*.webhookSecret', '*.secretAccessKey'],
  });
}

export async function startServer(config: Config, log: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const secrets = loadServerSecrets(config);
  const db = openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.file.sqlite.synchronous,
    onStorageProblem: (message) => log.error(message),
  });
  await migrateToLatest(db);
  const now = () => Date.now();
  // This instance's registry (GET /metrics); the rooms below report to it through plain callbacks.
  const metrics = createMetrics({ db: db.kysely, now, log });
  const keys = createApiKeyStore(db.kysely, secrets.encryptionKey);
  let publicUrl = config.publicUrl;
  const links = createLinkSigner({ secret: secrets.linkKey, baseUrl: () => publicUrl, ttlSeconds: config.file.media.linkTtlSeconds });
  // Every status change queues the client's delivery in its own transaction (the outbox).
  // PostgreSQL: what one instance changes wakes the others (LISTEN/NOTIFY); SQLite: nothing.
  const instances = createInstanceWakeups(db, config.databaseUrl, log);
  const webhooks = createWebhookDeliveries({ db, keys, links, allowPrivateUrls: config.allowPrivateUrls, log, now, queued: instances.deliveryQueued, observe: metrics.deliveries, leaseMs: config.file.webhooks.leaseSeconds * 1000 });
  // ...and a status change that ends a task settles its hold in that same transaction, first.
  const statusChanges = instances.outbox(settlingOutbox(webhooks.outbox));
  const tasks = instances.tasks(createTaskRepository(db.kysely, db.kind, statusChanges));
  // The AWS SDK is loaded only for S3 storage: it is ~30 MB of resident memory the embedded default never uses.
  const s3 = config.s3 ? await import('./media/s3-storage.ts') : null;
  const s3Clients =
    config.s3 && s3 ? [s3.createS3Client(config.s3), ...(config.s3.publicEndpoint ? [s3.createS3Client({ ...config.s3, endpoint: config.s3.publicEndpoint })] : [])] : [];
  const [s3Client, presignClient] = s3Clients;
  const storage =
    config.s3 && s3 && s3Client
      ? s3.createS3Storage({ client: s3Client, bucket: config.s3.bucket, ...(presignClient ? { presignClient } : {}) })
      : createDiskStorage(path.join(config.dataDir, 'media'));
  const workRoot = path.join(config.dataDir, 'tmp');
  // Left behind by a process that was killed mid-render; this process owns the folder now.
  await rm(workRoot, { recursive: true, force: true });
  const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath });
  const loadImage = createGuardedImageLoader({ ffprobe: ffmpeg.ffprobe, allowPrivate: config.allowPrivateUrls });
  const providers = new Map<string, Provider>([['preview', createPreviewProvider({ ffmpeg: ffmpeg.ffmpeg, loadImage })]]);
  const wakeup = createWakeup();
  // Wakes server-sent event streams when a task changes (other instances: through `instances`).
  const taskEvents = createTaskEvents();
  const upstream = createUpstreamTasks(db.kysely, db.kind, statusChanges);
  // Channel health and request pacing are shared through the store: with several instances, a
  // channel that one finds broken is skipped by all, and their calls together keep its rate.
  const channelStates = createChannelStates(db.kysely, db.kind, instances.channelChanged);
  await channelStates.register(config.channels.map((c) => ({ name: c.name, fingerprint: channelFingerprint(c) })));
  const storeError = (what: string) => (e: unknown) => log.warn({ err: e }, `channel ${what}: the database did not answer; going on with this instance's own view`);
  // SQLite serves one process: its pacing stays in memory rather than costing a write per call.
  const sharedPacer =
    db.kind === 'postgres'
      ? (c: ChannelConfig) =>
          createSharedRequestPacer(async () => (await channelStates.nextRequestSlot(c.name, gapMsOf(c.requestsPerSecond))).waitMs, createRequestPacer(c.requestsPerSecond), storeError('pacing'))
      : undefined;
  const built = buildChannels(config.channels, config.file.models, now, sharedPacer, metrics.observeUpstream);
  const router = createChannelRouter(built.channels, Math.random, { states: channelStates, onError: storeError('health') });
  await router.reload();
  const callbackTokens = createUpstreamCallbackTokens(secrets.callbackKey, () => publicUrl);
  // Results on a channel's own origin are the operator's to trust; any other URL an upstream
  // hands back passes the same guard as a client's URL (it could point into the private network).
  const trustedDownloads = createUrlGuard({ allowPrivate: true, maxBytes: MAX_VIDEO_BYTES, timeoutMs: VIDEO_DOWNLOAD_MS });
  const guardedDownloads = createUrlGuard({ allowPrivate: config.allowPrivateUrls, maxBytes: MAX_VIDEO_BYTES, timeoutMs: VIDEO_DOWNLOAD_MS });
  const probe = (file: string, signal: AbortSignal) => probeVideo(ffmpeg.ffprobe, file, signal);
  // Present even with no channel: tasks routed under an older config still need to end.
  const remote: RemoteTaskDeps = {
    tasks,
    upstream,
    router,
    storage,
    probe,
    download: (channel, url) => {
      const guard = channel.trusts(url) ? trustedDownloads : guardedDownloads;
      return (u, file, signal) => guard.fetchToFile(u, file, { signal });
    },
    callbackUrl: (taskId) => callbackTokens.url(taskId),
    workRoot,
    log,
    now,
    random: Math.random,
  };
  const { worker: w } = config.file;
  const worker = createWorker(
    {
      tasks,
      storage,
      providers,
      wakeup,
      log,
      now,
      probe,
      workRoot,
      remote,
      events: taskEvents,
    },
    { concurrency: w.concurrency, remoteConcurrency: w.remoteConcurrency, leaseMs: w.leaseSeconds * 1000, pollMs: w.pollMilliseconds, maxAttempts: w.maxAttempts },
  );
  const createTask = createTaskCreator({ tasks, idempotencyKeys: createIdempotencyKeys(db.kysely), wakeup, providerFor: (model) => (router.serves(model) ? ROUTE_PENDING : LOCAL_PROVIDER), prices: config.prices, now });
  const thumbnail = createThumbnailer({ ffmpeg: ffmpeg.ffmpeg, storage, workDir: path.join(workRoot, 'thumbnails') });
  const app = createApp({ db: db.kysely, dbKind: db.kind, tasks, keys, createTask, storage, links, masterKey: secrets.masterKey, models: config.file.models, prices: config.prices,
    thumbnail,
    channels: createChannelStatus(router, upstream, now),
    upstreamCallbacks: {
      tokens: callbackTokens,
      nudge: createCallbackNudge({
        upstream,
        providerOf: (channel) => router.get(channel)?.provider,
        woke: (taskId) => {
          wakeup.notify();
          instances.announce({ t: 'task', id: taskId });
        },
        now,
      }),
    },
    sharedTaskRoutes: {
      events: taskEvents,
      cancelTask: createTaskCanceler({ tasks, cancels: createTaskCancels(db.kysely, statusChanges), events: taskEvents, now }),
      timing: { keepAliveMs: config.file.events.keepAliveMilliseconds, pollMs: config.file.events.pollMilliseconds },
    },
    webhooks: {
      ...webhooks,
      // A replayed delivery may be picked up by any instance's sender.
      notifySender: () => {
        webhooks.notifySender();
        instances.announce({ t: 'delivery' });
      },
    },
    metrics: { observeRequest: metrics.observeRequest, render: metrics.render },
    dashboard: { sessionKeys: deriveSessionKeys(secrets.dashboardKey, secrets.masterKey), secureCookies: () => publicUrl.startsWith('https:'), publicUrl: () => publicUrl },
    log,
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
    s.once('error', reject);
  });
  server.on('error', (e: Error) => log.error({ err: e }, 'http server error'));
  // Node closes idle keep-alive sockets after 5 s; a client that reuses one at that moment gets
  // ECONNRESET (seen under load in tests). Outlive the usual proxy and client idle timeouts.
  if ('keepAliveTimeout' in server) {
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  // With PORT=0 the real port is known only now; links follow it unless REELAY_PUBLIC_URL is set.
  if (config.port === 0 && !config.publicUrlExplicit) publicUrl = url;
  if (w.enabled) worker.start();
  webhooks.start();
  await instances.start({ wakeup, events: taskEvents, notifySender: webhooks.notifySender, router });
  log.info({ url, database: db.kind, channels: built.channels.map((c) => c.config.name), ffmpeg: ffmpeg.source, dataDir: config.dataDir }, 'reelay is serving');

  return {
    url,
    secrets,
    ffmpeg,
    db,
    worker,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Open event streams end now, or they would hold the close until the drain time runs out.
      taskEvents.close();
      // server.close() drops the connections idle at that instant only. A keep-alive connection
      // whose response is still flushing turns idle a moment later and would then hold the close
      // for the whole keep-alive timeout (65 s, measured): sweep idle ones until closed, and cut
      // whatever is still busy after the drain time.
      const sweep = setInterval(() => 'closeIdleConnections' in server && server.closeIdleConnections(), 50);
      const cut = setTimeout(() => 'closeAllConnections' in server && server.closeAllConnections(), DRAIN_MS);
      // The sender hands attempts in flight back, due at once: the next start sends them.
      await Promise.all([worker.stop(), webhooks.close()]);
      await closed;
      clearInterval(sweep);
      clearTimeout(cut);
      await router.settled();
      await Promise.allSettled([built.close(), trustedDownloads.close(), guardedDownloads.close()]);
      for (const client of s3Clients) client.destroy();
      await instances.close();
      await db.close();
    },
  };
}
