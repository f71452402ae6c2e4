/**
 * The one module that reads the environment. Environment + optional config file -> one typed,
 * validated, frozen Config. A bad config stops the start with every problem listed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const fileSchema = z
  .object({
    /** Canonical models clients may ask for; each is served by the preview provider until issue 4. */
    models: z.array(z.string().min(1)).min(1).default(['kling-v3', 'kling-v3-turbo']),
    worker: z
      .object({
        /** Tasks one process works on at once. Preview renders are CPU-bound: 2 suits 2 cores. */
        concurrency: z.number().int().min(1).max(1000).default(2),
        /** A worker that does not renew its lease within this time loses the task to another. */
        leaseSeconds: z.number().int().min(5).max(3600).default(30),
        /** How often an idle worker looks for due tasks when no wake-up arrives. */
        pollMilliseconds: z.number().int().min(10).max(60_000).default(1000),
        /** Attempts after which a task that keeps crashing its worker is failed. */
        maxAttempts: z.number().int().min(1).max(100).default(5),
      })
      .strict()
      .default({ concurrency: 2, leaseSeconds: 30, pollMilliseconds: 1000, maxAttempts: 5 }),
    media: z
      .object({
        /** Lifetime of a signed media link (spec: Kling keeps 30 days, EvoLink links live 24 h). */
        linkTtlSeconds: z.number().int().min(60).max(30 * 86400).default(86400),
      })
      .strict()
      .default({ linkTtlSeconds: 86400 }),
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
  })
  .strict();

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
});

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
  });
}
