/**
 * The create transaction's money and limits: a key's model list, its requests-per-minute bucket,
 * its tasks in flight and its budget are checked, and the hold taken, as conditional UPDATEs of
 * the key's one row. A row lock (PostgreSQL) or the single writer (SQLite) makes each check and
 * its increment one step, so concurrent creates on any number of instances never overspend.
 * A refusal throws, the transaction rolls back, and nothing of the task remains.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { AppError } from '../domain/errors.ts';
import { MASTER_KEY_ID } from '../store/api-keys.ts';
import type { ApiKeysTable, Database } from '../store/schema.ts';
import { toCredits } from './credits.ts';
import { writeLedger } from './ledger-entries.ts';
import type { Quote } from './price-table.ts';

export type Admission = { keyId: string; taskId: string; quote: Quote; now: number };

type KeyLimits = Pick<
  Selectable<ApiKeysTable>,
  'budget_micros' | 'rpm' | 'max_concurrency' | 'models' | 'held_micros' | 'spent_micros' | 'active_tasks' | 'rate_tokens' | 'rate_at'
>;

const MINUTE_MS = 60_000;

export async function admitTask(trx: Kysely<Database>, a: Admission): Promise<void> {
  const { keyId, quote, now } = a;
  const key = await readLimits(trx, keyId);
  // The master key has no row and no limits; its tasks are still held and ledgered.
  if (key) {
    checkModel(key, quote.model);
    if (key.rpm !== null) await takeRateToken(trx, keyId, key.rpm, key, now);
    await holdCredits(trx, keyId, quote);
  } else if (keyId !== MASTER_KEY_ID) {
    throw new AppError('auth_invalid', 'Authorization is invalid: unknown or revoked key');
  }
  await writeLedger(trx, [{ key_id: keyId, task_id: a.taskId, entry: 'hold', micros: quote.holdMicros, model: quote.model, tier: quote.tier, outcome: null, created_at: now }]);
}

function readLimits(trx: Kysely<Database>, keyId: string): Promise<KeyLimits | undefined> {
  return trx
    .selectFrom('api_keys')
    .select(['budget_micros', 'rpm', 'max_concurrency', 'models', 'held_micros', 'spent_micros', 'active_tasks', 'rate_tokens', 'rate_at'])
    .where('id', '=', keyId)
    .executeTakeFirst();
}

function checkModel(key: KeyLimits, model: string): void {
  if (key.models === null) return;
  const allowed = JSON.parse(key.models) as string[];
  if (!allowed.includes(model)) {
    throw new AppError('model_not_allowed', `model ${model} is not allowed for this key; allowed: ${allowed.join(', ') || 'none'}`, { field: 'model' });
  }
}

/** Tokens in a bucket of `rpm` that refills `rpm` per minute, at `now` (null tokens = full). */
function tokensAt(key: Pick<KeyLimits, 'rate_tokens' | 'rate_at'>, rpm: number, now: number): number {
  if (key.rate_tokens === null || key.rate_at === null) return rpm;
  return Math.min(rpm, key.rate_tokens + (Math.max(0, now - key.rate_at) * rpm) / MINUTE_MS);
}

/**
 * A token bucket rather than a fixed window: a window lets 2 × rpm through across its edge. The
 * refill is computed in the UPDATE itself, so two instances never both spend the last token.
 */
async function takeRateToken(trx: Kysely<Database>, keyId: string, rpm: number, read: KeyLimits, now: number): Promise<void> {
  const elapsed = sql<number>`(case when rate_at is null or ${now} < rate_at then 0 else ${now} - rate_at end)`;
  const refill = sql<number>`(coalesce(rate_tokens, rpm) + ${elapsed} * rpm / 60000.0)`;
  const tokens = sql<number>`(case when ${refill} > rpm then rpm else ${refill} end)`;
  const taken = await trx
    .updateTable('api_keys')
    // Never backwards: an instance whose clock is behind must not make the next refill count twice.
    .set({ rate_tokens: sql`${tokens} - 1`, rate_at: sql`(case when rate_at is not null and rate_at > ${now} then rate_at else ${now} end)` })
    .where('id', '=', keyId)
    .where(tokens, '>=', 1)
    .executeTakeFirst();
  if (taken.numUpdatedRows > 0n) return;
  const waitMs = ((1 - tokensAt(read, rpm, now)) * MINUTE_MS) / rpm;
  throw new AppError('rate_limited', `rate limit exceeded: this key may create ${rpm} tasks per minute; retry in ${Math.max(1, Math.ceil(waitMs / 1000))} s`, {
    retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
  });
}

async function holdCredits(trx: Kysely<Database>, keyId: string, quote: Quote): Promise<void> {
  const hold = quote.holdMicros;
  const held = await trx
    .updateTable('api_keys')
    .set({ active_tasks: sql`active_tasks + 1`, held_micros: sql`held_micros + ${hold}` })
    .where('id', '=', keyId)
    .where((eb) => eb.or([eb('max_concurrency', 'is', null), eb('active_tasks', '<', eb.ref('max_concurrency'))]))
    .where((eb) => eb.or([eb('budget_micros', 'is', null), eb(sql<number>`spent_micros + held_micros + ${hold}`, '<=', eb.ref('budget_micros'))]))
    .executeTakeFirst();
  if (held.numUpdatedRows > 0n) return;
  // Refused: read again only to say which limit it was. The read may already see a task that
  // ended meanwhile (on PostgreSQL another instance's commit is visible to it), so the budget is
  // named only when it still cannot cover the hold; otherwise it was the concurrency cap.
  const key = await readLimits(trx, keyId);
  const left = key && key.budget_micros !== null ? Math.max(0, key.budget_micros - key.spent_micros - key.held_micros) : null;
  if (key && key.max_concurrency !== null && (left === null || left >= hold)) {
    // When a slot frees is unknown; Kling's advice for 1303 is back-off from at least 1 s (§1.8).
    throw new AppError('concurrency_limited', `concurrency limit reached: this key may have ${key.max_concurrency} tasks queued or running at once; retry when one ends`, {
      retryAfterSeconds: 1,
    });
  }
  throw new AppError(
    'budget_exhausted',
    `budget exhausted: this task needs ${toCredits(hold)} credits (${quote.seconds} s × ${toCredits(quote.perSecondMicros)} credits/s) and the key has ${toCredits(left ?? 0)} left`,
  );
}
