/**
 * What the JSON admin API and the admin dashboard pages both do: one check of a key body, one
 * create, one update, one revoke, one delivery replay. The routes differ only in how the body
 * arrives (JSON or a form) and how the answer is shown.
 */
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import type { Task } from '../domain/task.ts';
import type { ApiKeyStore, CreatedKey, KeyLimits } from '../store/api-keys.ts';
import type { DeliveryInfo, DeliveryRow, DeliveryStore } from '../store/deliveries.ts';
import type { TaskRepository } from '../store/task-repository.ts';
import { keyBodyProblems, keyLimitFields, renderKey, toKeyLimits, type KeyLimitFields, type KeyView } from './key-limits-body.ts';

const webhookUrl = z.string({ error: 'webhook_url must be a URL string, or null to clear it' }).nullable();

const createKeyBody = z
  .object({
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

export type KeyActionDeps = {
  keys: ApiKeyStore;
  /** REELAY_ALLOW_PRIVATE_URLS: whether a webhook URL may be plain http or private. */
  allowPrivateUrls: boolean;
  /** Models this server serves: a key's `models` must name only these. */
  models: readonly string[];
};

/** The first problem of a body, naming its field. */
function invalidBody(error: z.ZodError): AppError {
  const issue = error.issues[0];
  const field = issue?.path.length ? String(issue.path[0]) : undefined;
  const message = issue?.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : (issue?.message ?? 'invalid body');
  return new AppError('invalid_parameter', message, field === undefined ? {} : { field });
}

export function keyNotFound(id: string): AppError {
  return new AppError('key_not_found', `key ${id} does not exist or is revoked`);
}

/** Checks the limits and webhook URL of a create or update body; the store's limits. */
function checkedLimits(deps: KeyActionDeps, body: KeyLimitFields & { webhook_url?: string | null | undefined }): Partial<KeyLimits> {
  const limits = toKeyLimits(body);
  const [problem] = keyBodyProblems(limits, body.webhook_url, { models: deps.models, allowPrivateUrls: deps.allowPrivateUrls });
  if (problem) throw new AppError('invalid_parameter', problem.message, { field: problem.field });
  return limits;
}

/** Creates a key from a create body; the answer carries its secrets, the only time they exist in clear. */
export async function createKeyFromBody(deps: KeyActionDeps, raw: unknown): Promise<Partial<KeyView> & CreatedKey> {
  const parsed = createKeyBody.safeParse(raw);
  if (!parsed.success) throw invalidBody(parsed.error);
  const limits = checkedLimits(deps, parsed.data);
  const created = await deps.keys.create(parsed.data.name, limits);
  const url = parsed.data.webhook_url;
  if (url !== undefined && url !== null) await deps.keys.setWebhookUrl(created.id, url);
  const info = await deps.keys.get(created.id);
  return { ...(info ? renderKey(info) : {}), ...created };
}

/** Limits and the default webhook URL; fields left out are left alone, null clears (unlimited). */
export async function updateKeyFromBody(deps: KeyActionDeps, id: string, raw: unknown): Promise<KeyView> {
  const parsed = patchKeyBody.safeParse(raw);
  if (!parsed.success) throw invalidBody(parsed.error);
  const limits = checkedLimits(deps, parsed.data);
  if (!(await deps.keys.setLimits(id, limits))) throw keyNotFound(id);
  if (parsed.data.webhook_url !== undefined && !(await deps.keys.setWebhookUrl(id, parsed.data.webhook_url))) throw keyNotFound(id);
  const info = await deps.keys.get(id);
  if (!info) throw keyNotFound(id);
  return renderKey(info);
}

export async function revokeKey(keys: ApiKeyStore, id: string): Promise<void> {
  if (!(await keys.revoke(id))) throw new AppError('key_not_found', `key ${id} does not exist or is already revoked`);
}

export type ReplayDeps = {
  deliveries: DeliveryStore;
  tasks: TaskRepository;
  /** The callback body for a task's current status (the renderer the outbox uses), or null. */
  renderCallback: (task: Task) => string | null;
  /** Tells the sender a delivery is due. */
  notifySender: () => void;
  now: () => number;
};

/**
 * Starts a new attempt series for a delivery: pending, due now, attempts from zero, the same
 * `webhook-id`. Answers the delivery as the replay left it, read before the sender is woken so
 * the answer does not race the first new attempt.
 */
export async function replayDelivery(deps: ReplayDeps, id: string): Promise<{ delivery: DeliveryRow; listed: DeliveryInfo | null }> {
  const delivery = await deps.deliveries.get(id);
  if (!delivery) throw new AppError('delivery_not_found', `delivery ${id.length > 64 ? `${id.slice(0, 64)}…` : id} does not exist`);
  // The body was rendered when the status changed; media links in it expire. While the task is
  // still in the status the delivery reports (always so for an ended task), render it afresh.
  const task = await deps.tasks.get(delivery.task_id);
  const fresh = task && task.status === delivery.event ? deps.renderCallback(task) : null;
  await deps.deliveries.replay(id, deps.now(), fresh ?? undefined);
  const listed = (await deps.deliveries.listForTask(delivery.task_id)).find((d) => d.id === id) ?? null;
  deps.notifySender();
  return { delivery, listed };
}
