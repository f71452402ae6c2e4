/**
 * The limit fields `POST /admin/keys` and `PATCH /admin/keys/{id}` take, and a key as the admin
 * API shows it. Every field is optional; null (or absent at create) means unlimited.
 */
import { z } from 'zod';
import { MAX_CREDITS, toCredits, toMicros } from '../billing/credits.ts';
import type { KeyInfo, KeyLimits } from '../store/api-keys.ts';
import { callbackUrlRule } from '../webhooks/callback-target.ts';

export const keyLimitFields = {
  budget_credits: z
    .number({ error: 'budget_credits must be a number of credits, or null for unlimited' })
    .min(0, 'budget_credits must be at least 0')
    .max(MAX_CREDITS, `budget_credits must be at most ${MAX_CREDITS}`)
    .nullable()
    .optional(),
  rpm: z
    .number({ error: 'rpm must be a whole number of task creates per minute, or null for unlimited' })
    .int('rpm must be a whole number')
    .min(1, 'rpm must be at least 1')
    .max(1_000_000, 'rpm must be at most 1000000')
    .nullable()
    .optional(),
  max_concurrency: z
    .number({ error: 'max_concurrency must be a whole number of tasks, or null for unlimited' })
    .int('max_concurrency must be a whole number')
    .min(1, 'max_concurrency must be at least 1')
    .max(1_000_000, 'max_concurrency must be at most 1000000')
    .nullable()
    .optional(),
  models: z
    .array(z.string({ error: 'models must hold model names' }), { error: 'models must be an array of model names, or null for all' })
    .max(100, 'models must hold at most 100 names')
    .nullable()
    .optional(),
  expires_at: z
    .iso.datetime({ offset: true, error: 'expires_at must be an RFC 3339 date-time (e.g. 2027-01-01T00:00:00Z), or null for never' })
    .nullable()
    .optional(),
};

export type KeyLimitFields = { [F in keyof typeof keyLimitFields]?: z.infer<(typeof keyLimitFields)[F]> };

/** The wire fields given -> the store's limits (absent fields stay absent). */
export function toKeyLimits(body: KeyLimitFields): Partial<KeyLimits> {
  const limits: Partial<KeyLimits> = {};
  if (body.budget_credits !== undefined) limits.budgetMicros = body.budget_credits === null ? null : toMicros(body.budget_credits);
  if (body.rpm !== undefined) limits.rpm = body.rpm;
  if (body.max_concurrency !== undefined) limits.maxConcurrency = body.max_concurrency;
  if (body.models !== undefined) limits.models = body.models === null ? null : [...new Set(body.models)];
  if (body.expires_at !== undefined) limits.expiresAt = body.expires_at === null ? null : Date.parse(body.expires_at);
  return limits;
}

export type KeyBodyProblem = { field: 'models' | 'webhook_url'; message: string };

/**
 * What a well-typed key body may still get wrong, for the admin API and the CLI alike: a model
 * this server does not serve, a webhook URL the operator does not allow. Empty when it is fine.
 */
export function keyBodyProblems(
  limits: Partial<KeyLimits>,
  webhookUrl: string | null | undefined,
  rules: { models: readonly string[]; allowPrivateUrls: boolean },
): KeyBodyProblem[] {
  const problems: KeyBodyProblem[] = [];
  const unserved = limits.models?.find((m) => !rules.models.includes(m));
  if (unserved !== undefined) {
    problems.push({ field: 'models', message: `models: ${JSON.stringify(unserved)} is not served here (served: ${rules.models.join(', ')})` });
  }
  const rule = webhookUrl === undefined || webhookUrl === null ? null : callbackUrlRule(webhookUrl, { allowPrivate: rules.allowPrivateUrls });
  if (rule !== null) problems.push({ field: 'webhook_url', message: `webhook_url ${rule}` });
  return problems;
}

export type KeyView = ReturnType<typeof renderKey>;

/** A key for the admin API and the CLI: never a secret; credits as decimal numbers. */
export function renderKey(info: KeyInfo) {
  const { limits } = info;
  return {
    id: info.id,
    name: info.name,
    key_prefix: info.key_prefix,
    access_key: info.access_key,
    created_at: info.created_at,
    revoked_at: info.revoked_at,
    webhook_url: info.webhook_url,
    budget_credits: limits.budgetMicros === null ? null : toCredits(limits.budgetMicros),
    rpm: limits.rpm,
    max_concurrency: limits.maxConcurrency,
    models: limits.models,
    expires_at: limits.expiresAt === null ? null : new Date(limits.expiresAt).toISOString(),
    spent_credits: toCredits(info.spentMicros),
    held_credits: toCredits(info.heldMicros),
    remaining_credits: limits.budgetMicros === null ? null : toCredits(Math.max(0, limits.budgetMicros - info.spentMicros - info.heldMicros)),
    active_tasks: info.activeTasks,
  };
}
