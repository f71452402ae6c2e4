/**
 * Upstream channels in the config file: their schema, the checks across channels, and their
 * resolution (secrets from the environment config.ts passes in, times in ms). Part of the
 * configuration: only config.ts calls it.
 */
import { z } from 'zod';

/** A secret written inline or read from the environment: `"sk-..."` or `{"env": "NAME"}`. */
const secretSchema = z.union([z.string().min(1), z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }).strict()]);
type SecretValue = z.infer<typeof secretSchema>;

export const CHANNEL_PROVIDERS = ['kling', 'newapi', 'evolink', 'apimart', 'novita'] as const;
export type ChannelProvider = (typeof CHANNEL_PROVIDERS)[number];
export const KLING_DEFAULT_BASE_URL = 'https://api-singapore.klingai.com';

export const channelSchema = z
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

/** The checks that span channels (names, credentials per provider, served models), inside the file schema's superRefine. */
export function checkChannels(file: { models: string[]; channels: Array<z.infer<typeof channelSchema>> }, ctx: z.RefinementCtx): void {
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

export function resolveChannels(file: { channels: Array<z.infer<typeof channelSchema>> }, env: NodeJS.ProcessEnv, problems: string[], publicUrlSet: boolean): ChannelConfig[] {
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
