/**
 * The one module that reads the environment. Environment + optional config file -> one typed,
 * validated, frozen Config. A bad config stops the start with every problem listed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PRICE_TABLE, type PriceTable } from './billing/price-table.ts';
import { TIERS } from './domain/video-request.ts';

/** A secret written inline or read from the environment: `"sk-..."` or `{"env": "NAME"}`. */
const secretSchema = z.union([z.string().min(1), z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }).strict()]);
type SecretValue = z.infer<typeof secretSchema>;

export const CHANNEL_PROVIDERS = ['kling', 'newapi', 'evolink', 'apimart', 'novita'] as const;
export type ChannelProvider = (typeof CHANNEL_PROVIDERS)[number];
export const KLING_DEFAULT_BASE_URL = 'https://api-singapore.klingai.com';

const channelSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 letters, digits, dot, dash or underscore'),
    provider: z.enum(CHANNEL_PROVIDERS),
    /** kling: https://api-singapore.klingai.com by default, https://api-beijing.klingai.com in China. */
    base_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    access_key: secretSchema.optional(),
    secret_key: secretSchema.optional(),
    api_key: secretSchema.optional(),
    /** Reelay model -> the upstream's model name; absent = the provider's defaults. */
    models: z.record(z.string().min(1), z.string().min(1)).optional(),
    /** Higher first (new-api's convention); equal priorities share by weight. */
    priority: z.number().int().default(0),
    weight: z.number().int().min(1).default(1),
    /** Tasks this channel holds at once, submitted to terminal (Kling counts concurrency per account). */
    max_concurrency: z.number().int().min(1).max(10_000).default(5),
    /** Cap on calls to the upstream per second, polls and submits together. */
    requests_per_second: z.number().positive().max(10_000).default(10),
    timeout_seconds: z.number().positive().max(600).default(30),
    /**
     * When the first status check is due after a submit: about how long the upstream takes to
     * render. Kling v3 renders take minutes [I]; callbacks usually arrive first anyway.
     */
    expected_render_seconds: z.number().min(0).max(86_400).default(120),
    /** The interval after the first check; it grows by half each time, with jitter, up to the maximum. */
    poll_interval_seconds: z.number().positive().max(3600).default(10),
    max_poll_interval_seconds: z.number().positive().max(86_400).default(120),
    /** A task the upstream has not finished after this long fails (and is refunded): no task is stuck forever. */
    task_timeout_seconds: z.number().positive().max(7 * 86_400).default(7200),
    /** Ask the upstream to call back; absent = only when REELAY_PUBLIC_URL is set (a callback needs a reachable URL). */
    callbacks: z.boolean().optional(),
  })
  .strict();

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
      })
      .strict()
      .default({ concurrency: 2, remoteConcurrency: 32, leaseSeconds: 30, pollMilliseconds: 1000, maxAttempts: 5 }),
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
    const seen = new Set<string>();
    file.channels.forEach((ch, i) => {
      const at = (field: string) => ['channels', i, field];
      if (ch.name === 'preview' || ch.name === 'auto') ctx.addIssue({ code: 'custom', path: at('name'), message: `${ch.name} is reserved` });
      if (seen.has(ch.name)) ctx.addIssue({ code: 'custom', path: at('name'), message: `channel name ${ch.name} is used twice` });
      seen.add(ch.name);
      if (ch.provider === 'kling') {
        if (!ch.access_key) ctx.addIssue({ code: 'custom', path: at('access_key'), message: 'is required for a kling channel' });
        if (!ch.secret_key) ctx.addIssue({ code: 'custom', path: at('secret_key'), message: 'is required for a kling channel' });
      } else {
        if (!ch.api_key) ctx.addIssue({ code: 'custom', path: at('api_key'), message: `is required for a ${ch.provider} channel` });
        if (!ch.base_url) ctx.addIssue({ code: 'custom', path: at('base_url'), message: `is required for a ${ch.provider} channel` });
      }
      for (const model of Object.keys(ch.models ?? {})) {
        if (!file.models.includes(model)) {
          ctx.addIssue({ code: 'custom', path: ['channels', i, 'models', model], message: `is not a served model (${file.models.join(', ')})` });
        }
      }
    });
  });

export type ConfigFile = z.infer<typeof fileSchema>;

/** A channel with its secrets resolved and its times in milliseconds. */
export type ChannelConfig = Readonly<{
  name: string;
  provider: ChannelProvider;
  baseUrl: string;
  accessKey: string | null;
  secretKey: string | null;
  apiKey: string | null;
  /** null = the provider's default mapping. */
  models: Readonly<Record<string, string>> | null;
  priority: number;
  weight: number;
  maxConcurrency: number;
  requestsPerSecond: number;
  timeoutMs: number;
  expectedRenderMs: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  taskTimeoutMs: number;
  callbacks: boolean;
}>;

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
  const others = (['REELAY_S3_ENDPOINT', 'REELAY_S3_FORCE_PATH_STYLE', 'REELAY_S3_ACCESS_KEY_ID', 'REELAY_S3_SECRET_ACCESS_KEY'] as const).filter((k) => e[k] !== undefined);
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
    bucket: e.REELAY_S3_BUCKET,
    region: e.REELAY_S3_REGION,
    forcePathStyle: e.REELAY_S3_FORCE_PATH_STYLE ? e.REELAY_S3_FORCE_PATH_STYLE === 'true' : endpoint !== null,
    credentials:
      e.REELAY_S3_ACCESS_KEY_ID && e.REELAY_S3_SECRET_ACCESS_KEY
        ? Object.freeze({ accessKeyId: e.REELAY_S3_ACCESS_KEY_ID, secretAccessKey: e.REELAY_S3_SECRET_ACCESS_KEY })
        : null,
  });
}

function resolveSecret(value: SecretValue | undefined, where: string, env: NodeJS.ProcessEnv, problems: string[]): string | null {
  if (value === undefined) return null;
  if (typeof value === 'string') return value;
  const found = env[value.env];
  if (found === undefined || found === '') {
    problems.push(`${where}: environment variable ${value.env} is not set`);
    return null;
  }
  return found;
}

function resolveChannels(file: ConfigFile, env: NodeJS.ProcessEnv, problems: string[], publicUrlSet: boolean): ChannelConfig[] {
  return file.channels.map((ch, i) => {
    const where = (field: string) => `channels.${i}.${field}`;
    return Object.freeze({
      name: ch.name,
      provider: ch.provider,
      baseUrl: (ch.base_url ?? KLING_DEFAULT_BASE_URL).replace(/\/+$/, ''),
      accessKey: resolveSecret(ch.access_key, where('access_key'), env, problems),
      secretKey: resolveSecret(ch.secret_key, where('secret_key'), env, problems),
      apiKey: resolveSecret(ch.api_key, where('api_key'), env, problems),
      models: ch.models ? Object.freeze({ ...ch.models }) : null,
      priority: ch.priority,
      weight: ch.weight,
      maxConcurrency: ch.max_concurrency,
      requestsPerSecond: ch.requests_per_second,
      timeoutMs: ch.timeout_seconds * 1000,
      expectedRenderMs: ch.expected_render_seconds * 1000,
      pollIntervalMs: ch.poll_interval_seconds * 1000,
      maxPollIntervalMs: ch.max_poll_interval_seconds * 1000,
      taskTimeoutMs: ch.task_timeout_seconds * 1000,
      callbacks: ch.callbacks ?? publicUrlSet,
    });
  });
}
