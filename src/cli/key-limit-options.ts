/**
 * The limit options of `reelay keys create|update`, checked with the zod fields of the admin API
 * (src/http/key-limits-body.ts) so a refusal reads the same on both, prefixed by the option.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { keyBodyProblems, keyLimitFields, toKeyLimits } from '../http/key-limits-body.ts';
import type { KeyLimits } from '../store/api-keys.ts';

export type LimitOptions = {
  budget?: string;
  rpm?: string;
  maxConcurrency?: string;
  models?: string;
  expiresAt?: string;
  webhookUrl?: string;
};

/** What an update asks for: limits for the store, and the webhook URL (null clears it). */
export type CheckedOptions = { limits: Partial<KeyLimits>; webhookUrl: string | null | undefined };

const OPTION_OF: Record<string, string> = {
  budget_credits: '--budget',
  rpm: '--rpm',
  max_concurrency: '--max-concurrency',
  models: '--models',
  expires_at: '--expires-at',
  webhook_url: '--webhook-url',
};

/**
 * Words that clear a limit. `models` takes "all", not "none": an empty list (`--models ""`) is a
 * real limit that allows no model, and "none" reads like it.
 */
const CLEAR = {
  number: ['unlimited'],
  models: ['all', 'unlimited'],
  expiresAt: ['never', 'none', 'unlimited'],
  webhookUrl: ['none'],
};

export function addLimitOptions<Args extends unknown[], Opts extends OptionValues>(command: Command<Args, Opts>) {
  return command
    .option('--budget <credits>', 'credits the key may spend in all (a decimal), or "unlimited"')
    .option('--rpm <n>', 'task creates per minute, or "unlimited"')
    .option('--max-concurrency <n>', 'tasks queued or running at once, or "unlimited"')
    .option('--models <names>', 'comma-separated served models the key may use, or "all"')
    .option('--expires-at <time>', 'RFC 3339 date-time after which the key stops working, or "never"')
    .option('--webhook-url <url>', 'default webhook URL for the key\'s tasks, or "none"');
}

/** A number the user wrote as one; anything else goes to zod as it is, to be refused as not a number. */
function numeric(value: string): number | string | null {
  if (CLEAR.number.includes(value)) return null;
  return /^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(value) ? Number(value) : value;
}

/** The options as the admin API's body (absent options stay absent). */
function toWireBody(o: LimitOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (o.budget !== undefined) body.budget_credits = numeric(o.budget);
  if (o.rpm !== undefined) body.rpm = numeric(o.rpm);
  if (o.maxConcurrency !== undefined) body.max_concurrency = numeric(o.maxConcurrency);
  if (o.models !== undefined) {
    body.models = CLEAR.models.includes(o.models) ? null : o.models.split(',').map((m) => m.trim()).filter((m) => m !== '');
  }
  if (o.expiresAt !== undefined) body.expires_at = CLEAR.expiresAt.includes(o.expiresAt) ? null : o.expiresAt;
  if (o.webhookUrl !== undefined) body.webhook_url = CLEAR.webhookUrl.includes(o.webhookUrl) ? null : o.webhookUrl;
  return body;
}

const limitsBody = z.object({ ...keyLimitFields, webhook_url: z.string().nullable().optional() });

/** The options checked as the admin API checks a body: the result, or every problem (one line each). */
export function checkLimitOptions(options: LimitOptions, config: Pick<Config, 'file' | 'allowPrivateUrls'>): CheckedOptions | { problems: string[] } {
  const parsed = limitsBody.safeParse(toWireBody(options));
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => `${OPTION_OF[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`) };
  }
  const limits = toKeyLimits(parsed.data);
  const url = parsed.data.webhook_url;
  const problems = keyBodyProblems(limits, url, { models: config.file.models, allowPrivateUrls: config.allowPrivateUrls }).map((p) => `${OPTION_OF[p.field]}: ${p.message}`);
  return problems.length > 0 ? { problems } : { limits, webhookUrl: url };
}
