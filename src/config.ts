/**
 * The one module that reads the environment. Environment + optional config file -> one typed,
 * validated, frozen Config. A bad config stops the start with every problem listed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PRICE_TABLE, type PriceTable } from './billing/price-table.ts';
import { TIERS } from './domain/video-request.ts';
import { channelSchema, checkChannels, resolveChannels, type ChannelConfig } from './config-channels.ts';

export { CHANNEL_PROVIDERS, KLING_DEFAULT_BASE_URL, type ChannelConfig, type ChannelProvider } from './config-channels.ts';

const creditsPerSecond = z.number().min(0).max(1_000_000);
const tierPriceSchema = z
  .object({
    per_second: creditsPerSecond,
    /** Absent: audio does not change the price (the 4k tier). */
    per_second_with_audio: creditsPerSecond.optional(),
    /** Added per second when the prompt uses specified voices; absent = 0. */
    voice_surcharge_per_second: creditsPerSecond.optional(),
  })
  .strict();
/** A model's prices by tier (std 720p, pro 1080p, 4k); a tier left out is not sold for the model. */
const modelPricesSchema = z.object(Object.fromEntries(TIERS.map((t) => [t, tierPriceSchema.optional()])) as Record<(typeof TIERS)[number], z.ZodOptional<typeof tierPriceSchema>>).strict();

const fileSchema = z
  .object({
    /** Canonical models clients may ask for; a model no channel serves is rendered by the preview provider. */
    models: z.array(z.string().min(1)).min(1).default(['kling-v3', 'kling-v3-turbo']),
    worker: z
      .object({
        /** Preview renders one process works on at once. They are CPU-bound: 2 suits 2 cores. */
        concurrency: z.number().int().min(1).max(1000).default(2),
        /**
         * Remote tasks one process submits, checks or downloads at once. A task waiting on its
         * upstream holds none of these: it sleeps in the table until its next check.
         */
        remoteConcurrency: z.number().int().min(1).max(10_000).default(32),
        /** A worker that does not renew its lease within this time loses the task to another. */
        leaseSeconds: z.number().int().min(5).max(3600).default(30),
        /** How often an idle worker looks for due tasks when no wake-up arrives. */
        pollMilliseconds: z.number().int().min(10).max(60_000).default(1000),
        /** Attempts after which a task that keeps crashing its worker is failed. */
        maxAttempts: z.number().int().min(1).max(100).default(5),
        /**
         * false: this instance serves the API only and works on no task (with PostgreSQL, other
         * instances do; API-only and worker instances can then be scaled apart).
         */
        enabled: z.boolean().default(true),
      })
      .strict()
      .default({ concurrency: 2, remoteConcurrency: 32, leaseSeconds: 30, pollMilliseconds: 1000, maxAttempts: 5, enabled: true }),
    media: z
      .object({
        /** Lifetime of a signed media link (spec: Kling keeps 30 days, EvoLink links live 24 h). */
        linkTtlSeconds: z.number().int().min(60).max(30 * 86400).default(86400),
      })
      .strict()
      .default({ linkTtlSeconds: 86400 }),
    /** Server-sent events (`GET /v1/tasks/{id}/events`). */
    events: z
      .object({
        /** A comment this often keeps proxies from closing a quiet stream (most close idle ones after 30-60 s). */
        keepAliveMilliseconds: z.number().int().min(10).max(600_000).default(15_000),
        /** How often a stream re-reads its task when no notification came (a change made by another instance). */
        pollMilliseconds: z.number().int().min(10).max(60_000).default(2000),
      })
      .strict()
      .default({ keepAliveMilliseconds: 15_000, pollMilliseconds: 2000 }),
    /** Webhook deliveries to clients. */
    webhooks: z
      .object({
        /**
         * How long an instance holds a delivery it is sending. One left by a crashed instance is
         * sent again after this; it must outlive the 10 s attempt deadline, or a slow receiver
         * could be sent the same event twice.
         */
        leaseSeconds: z.number().int().min(11).max(3600).default(30),
      })
      .strict()
      .default({ leaseSeconds: 30 }),
    sqlite: z
      .object({
        /**
         * FULL by default: a lost commit can mean a task paid for twice upstream. NORMAL is ~4x
         * faster per commit (24k vs 5.2k commits/s measured) but can lose the last commits on
         * power loss.
         */
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
      })
      .strict()
      .default({ synchronous: 'FULL' }),
    /** Upstreams; a model with no channel is served by the preview renderer. */
    channels: z.array(channelSchema).default([]),
    /**
     * Credits per second by model and tier. A model given here replaces that model's default
     * prices (src/billing/price-table.ts, Kling's published unit prices); others keep theirs.
     */
    prices: z.record(z.string().min(1), modelPricesSchema).default({}),
  })
  .strict()
  .superRefine((file, ctx) => {
    const prices = { ...DEFAULT_PRICE_TABLE, ...file.prices };
    for (const model of file.models) {
      const tiers = prices[model];
      if (!tiers || !TIERS.some((t) => tiers[t] !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['prices', model], message: `a served model needs a price for at least one tier (${TIERS.join(', ')})` });
      }
    }
    checkChannels(file, ctx);
  });

export type ConfigFile = z.infer<typeof fileSchema>;

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.string().regex(/^\d{1,5}$/, 'must be a port number (0-65535)').transform(Number).pipe(z.number().max(65535, 'must be a port number (0-65535)')).default(8080),
  REELAY_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// (unset means SQLite in the data dir)')
    .optional(),
  REELAY_MASTER_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  REELAY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  REELAY_PUBLIC_URL: z.url().optional(),
  REELAY_CONFIG: z.string().min(1).optional(),
  FFMPEG_PATH: z.string().min(1).optional(),
  FFPROBE_PATH: z.string().min(1).optional(),
  REELAY_ALLOW_PRIVATE_URLS: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** S3-compatible media storage (instead of the data dir): set the bucket; the endpoint only for a non-AWS server. */
  REELAY_S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://127.0.0.1:9000' }).optional(),
  /** Where clients reach the same S3 server, when not at REELAY_S3_ENDPOINT (an internal address): presigned links are signed for it. */
  REELAY_S3_PUBLIC_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://media.example.com' }).optional(),
  REELAY_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit')
    .refine((b) => !b.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(b), 'must be a bucket name: no two dots in a row, not an IP address')
    .optional(),
  REELAY_S3_REGION: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a region name such as us-east-1').default('us-east-1'),
  REELAY_S3_FORCE_PATH_STYLE: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  /** Both or neither; neither = the AWS SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles). */
  REELAY_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  REELAY_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
});

/** Where media goes when S3 is configured. */
export type S3Config = Readonly<{
  /** null = AWS itself (the region's endpoint). */
  endpoint: string | null;
  /** Where clients fetch presigned links from; null = `endpoint`. */
  publicEndpoint: string | null;
  bucket: string;
  region: string;
  /** `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint>/<key>`; true by default with an endpoint. */
  forcePathStyle: boolean;
  /** null = the AWS SDK's default credential chain. */
  credentials: Readonly<{ accessKeyId: string; secretAccessKey: string }> | null;
}>;

export type Config = Readonly<{
  host: string;
  port: number;
  dataDir: string;
  /** null = the SQLite file `reelay.db` in the data dir. */
  databaseUrl: string | null;
  /** From REELAY_MASTER_KEY; null = read or create `master.key` in the data dir. */
  masterKey: string | null;
  /** From REELAY_SECRET; null = read or create `secret.key` in the data dir. */
  secret: string | null;
  publicUrl: string;
  /** True when REELAY_PUBLIC_URL was set (links then never follow the bound address). */
  publicUrlExplicit: boolean;
  /**
   * Lets outbound requests (image inputs, callbacks) reach private addresses and plain HTTP. For
   * local development and tests only; off by default.
   */
  allowPrivateUrls: boolean;
  ffmpegPath: string | null;
  ffprobePath: string | null;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  file: Readonly<ConfigFile>;
  channels: readonly ChannelConfig[];
  /** The default price table with the config file's models laid over it. */
  prices: PriceTable;
  /** null = media on the local disk under the data dir. */
  s3: S3Config | null;
}>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function issuesOf(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((i) => `${prefix}${i.path.join('.') || '(root)'}: ${i.message}`);
}

function readConfigFile(file: string): { value?: ConfigFile; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { problems: [`REELAY_CONFIG ${file}: ${(e as Error).message}`] };
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) return { problems: issuesOf(`${file}: `, parsed.error) };
  return { value: parsed.data, problems: [] };
}

/** Reads and validates the whole configuration; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) problems.push(...issuesOf('', parsedEnv.error));
  let file: ConfigFile = fileSchema.parse({});
  const configPath = parsedEnv.success ? parsedEnv.data.REELAY_CONFIG : undefined;
  if (configPath) {
    const read = readConfigFile(configPath);
    problems.push(...read.problems);
    if (read.value) file = read.value;
  }
  const channels = resolveChannels(file, env, problems, parsedEnv.success && parsedEnv.data.REELAY_PUBLIC_URL !== undefined);
  if (parsedEnv.success) problems.push(...s3Problems(parsedEnv.data));
  if (!parsedEnv.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsedEnv.data;
  const hostForUrl = e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST;
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    dataDir: path.resolve(e.REELAY_DATA_DIR),
    databaseUrl: e.DATABASE_URL ?? null,
    masterKey: e.REELAY_MASTER_KEY ?? null,
    secret: e.REELAY_SECRET ?? null,
    publicUrl: (e.REELAY_PUBLIC_URL ?? `http://${hostForUrl}:${e.PORT}`).replace(/\/+$/, ''),
    publicUrlExplicit: e.REELAY_PUBLIC_URL !== undefined,
    allowPrivateUrls: e.REELAY_ALLOW_PRIVATE_URLS === 'true',
    ffmpegPath: e.FFMPEG_PATH ?? null,
    ffprobePath: e.FFPROBE_PATH ?? null,
    logLevel: e.LOG_LEVEL,
    file: Object.freeze(file),
    channels,
    prices: Object.freeze({ ...DEFAULT_PRICE_TABLE, ...file.prices }),
    s3: s3ConfigOf(e),
  });
}

type Env = z.infer<typeof envSchema>;

function s3Problems(e: Env): string[] {
  const problems: string[] = [];
  const others = (['REELAY_S3_ENDPOINT', 'REELAY_S3_PUBLIC_ENDPOINT', 'REELAY_S3_FORCE_PATH_STYLE', 'REELAY_S3_ACCESS_KEY_ID', 'REELAY_S3_SECRET_ACCESS_KEY'] as const).filter((k) => e[k] !== undefined);
  if (!e.REELAY_S3_BUCKET && others.length > 0) problems.push(`REELAY_S3_BUCKET: is required when ${others.join(', ')} ${others.length > 1 ? 'are' : 'is'} set`);
  if ((e.REELAY_S3_ACCESS_KEY_ID === undefined) !== (e.REELAY_S3_SECRET_ACCESS_KEY === undefined)) {
    problems.push('REELAY_S3_ACCESS_KEY_ID, REELAY_S3_SECRET_ACCESS_KEY: set both or neither (neither = the AWS default credential chain)');
  }
  return problems;
}

function s3ConfigOf(e: Env): S3Config | null {
  if (!e.REELAY_S3_BUCKET) return null;
  const endpoint = e.REELAY_S3_ENDPOINT ? e.REELAY_S3_ENDPOINT.replace(/\/+$/, '') : null;
  return Object.freeze({
    endpoint,
    publicEndpoint: e.REELAY_S3_PUBLIC_ENDPOINT ? e.REELAY_S3_PUBLIC_ENDPOINT.replace(/\/+$/, '') : null,
    bucket: e.REELAY_S3_BUCKET,
    region: e.REELAY_S3_REGION,
    forcePathStyle: e.REELAY_S3_FORCE_PATH_STYLE ? e.REELAY_S3_FORCE_PATH_STYLE === 'true' : endpoint !== null,
    credentials:
      e.REELAY_S3_ACCESS_KEY_ID && e.REELAY_S3_SECRET_ACCESS_KEY
        ? Object.freeze({ accessKeyId: e.REELAY_S3_ACCESS_KEY_ID, secretAccessKey: e.REELAY_S3_SECRET_ACCESS_KEY })
        : null,
  });
}
