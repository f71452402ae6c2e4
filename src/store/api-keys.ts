/**
 * API keys: minted here, stored as sha256 of the bearer key and an encrypted secret key, never
 * logged. The access key is an identifier (the JWT `iss`), so it is stored in clear. Each key
 * also has a `whsec_` webhook secret (encrypted: Reelay must read it back to sign deliveries) and
 * an optional default webhook URL.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { randomChars } from '../domain/ids.ts';
import type { ApiKeysTable, Database } from './schema.ts';
import { open, seal } from './secret-box.ts';
import { isStorableText } from './text-guards.ts';

const modelListSchema = z.array(z.string());

/** A key's limits; null = unlimited. Money in micro-credits (src/billing/credits.ts). */
export type KeyLimits = {
  budgetMicros: number | null;
  /** Task creates per minute. */
  rpm: number | null;
  /** Tasks queued or running at once. */
  maxConcurrency: number | null;
  /** Models the key may use. */
  models: string[] | null;
  /** Epoch ms after which the key no longer authenticates. */
  expiresAt: number | null;
};

export const NO_LIMITS: KeyLimits = { budgetMicros: null, rpm: null, maxConcurrency: null, models: null, expiresAt: null };

export type CreatedKey = { id: string; name: string; key: string; access_key: string; secret_key: string; webhook_secret: string };
/** A key as the admin API shows it: never a secret; limits, and the money it has spent and holds. */
export type KeyInfo = {
  id: string;
  name: string;
  key_prefix: string;
  access_key: string;
  created_at: number;
  revoked_at: number | null;
  webhook_url: string | null;
  limits: KeyLimits;
  heldMicros: number;
  spentMicros: number;
  activeTasks: number;
};
/** The owner id of the master key: it has no row here (so no limits and no webhook secret). */
export const MASTER_KEY_ID = 'master';

export type KeyOwner = { id: string; name: string; expiresAt: number | null };

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes (spec §1.7). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;

export function createApiKeyStore(db: Kysely<Database>, encryptionKey: Buffer) {
  const active = () => db.selectFrom('api_keys').where('revoked_at', 'is', null);

  return {
    async create(name: string, limits: Partial<KeyLimits> = {}, now: number = Date.now()): Promise<CreatedKey> {
      const created: CreatedKey = {
        id: `key_${randomChars(16)}`,
        name,
        key: `rl_${randomBytes(32).toString('base64url')}`,
        access_key: `AK${randomChars(30)}`,
        secret_key: randomBytes(32).toString('base64url'),
        webhook_secret: newWebhookSecret(),
      };
      await db
        .insertInto('api_keys')
        .values({
          id: created.id,
          name,
          key_hash: hashKey(created.key),
          key_prefix: created.key.slice(0, 7),
          access_key: created.access_key,
          secret_enc: seal(encryptionKey, created.secret_key),
          created_at: now,
          revoked_at: null,
          webhook_secret_enc: seal(encryptionKey, created.webhook_secret),
          webhook_url: null,
          ...limitColumns({ ...NO_LIMITS, ...limits }),
        })
        .execute();
      return created;
    },

    async list(): Promise<KeyInfo[]> {
      const rows = await db.selectFrom('api_keys').select(INFO_COLUMNS).orderBy('created_at').orderBy('id').execute();
      return rows.map(toKeyInfo);
    },

    async get(id: string): Promise<KeyInfo | null> {
      if (!isStorableText(id)) return null;
      const row = await db.selectFrom('api_keys').select(INFO_COLUMNS).where('id', '=', id).executeTakeFirst();
      return row ? toKeyInfo(row) : null;
    },

    /**
     * Changes an active key's limits (the fields given; null = unlimited); false for no such key.
     * A new rpm starts with a full bucket. A budget below what is already spent and held refuses
     * new tasks and touches none in flight.
     */
    async setLimits(id: string, limits: Partial<KeyLimits>): Promise<boolean> {
      if (!isStorableText(id)) return false;
      const set = limitColumns(limits);
      if (Object.keys(set).length === 0) return (await active().select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
      const r = await db
        .updateTable('api_keys')
        .set({ ...set, ...(limits.rpm !== undefined ? { rate_tokens: null, rate_at: null } : {}) })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** Revokes a key; false when there is no such active key. */
    async revoke(id: string, now: number = Date.now()): Promise<boolean> {
      const r = await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async findByKey(key: string): Promise<KeyOwner | null> {
      if (!isStorableText(key)) return null;
      const row = await active().select(['id', 'name', 'expires_at']).where('key_hash', '=', hashKey(key)).executeTakeFirst();
      return row ? { id: row.id, name: row.name, expiresAt: row.expires_at } : null;
    },

    /** The owner and clear secret key of an access key, to verify a JWT it signed. */
    async findByAccessKey(accessKey: string): Promise<(KeyOwner & { secretKey: string }) | null> {
      if (!isStorableText(accessKey)) return null;
      const row = await active().select(['id', 'name', 'secret_enc', 'expires_at']).where('access_key', '=', accessKey).executeTakeFirst();
      return row ? { id: row.id, name: row.name, expiresAt: row.expires_at, secretKey: open(encryptionKey, row.secret_enc) } : null;
    },

    /** Replaces an active key's webhook secret; the new one (shown only now), or null for no such key. */
    async rotateWebhookSecret(id: string): Promise<string | null> {
      if (!isStorableText(id)) return null;
      const secret = newWebhookSecret();
      const r = await db
        .updateTable('api_keys')
        .set({ webhook_secret_enc: seal(encryptionKey, secret) })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n ? secret : null;
    },

    /** Sets (or with null clears) an active key's default webhook URL; false for no such key. */
    async setWebhookUrl(id: string, url: string | null): Promise<boolean> {
      if (!isStorableText(id)) return false;
      const r = await db.updateTable('api_keys').set({ webhook_url: url }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /**
     * The clear webhook secret of a key (revoked or not: its tasks' deliveries are still signed),
     * or null when the key does not exist. Keys made before webhooks existed get one now; when
     * two instances race, the first write wins and both read it back.
     */
    async webhookSecret(id: string): Promise<string | null> {
      if (!isStorableText(id)) return null;
      const stored = () => db.selectFrom('api_keys').select('webhook_secret_enc').where('id', '=', id).executeTakeFirst();
      let row = await stored();
      if (row && row.webhook_secret_enc === null) {
        const sealed = seal(encryptionKey, newWebhookSecret());
        await db.updateTable('api_keys').set({ webhook_secret_enc: sealed }).where('id', '=', id).where('webhook_secret_enc', 'is', null).execute();
        row = await stored();
      }
      return row?.webhook_secret_enc ? open(encryptionKey, row.webhook_secret_enc) : null;
    },
  };
}

const INFO_COLUMNS = [
  'id',
  'name',
  'key_prefix',
  'access_key',
  'created_at',
  'revoked_at',
  'webhook_url',
  'budget_micros',
  'rpm',
  'max_concurrency',
  'models',
  'expires_at',
  'held_micros',
  'spent_micros',
  'active_tasks',
] as const;

type InfoRow = Pick<Selectable<ApiKeysTable>, (typeof INFO_COLUMNS)[number]>;

function toKeyInfo(row: InfoRow): KeyInfo {
  return {
    id: row.id,
    name: row.name,
    key_prefix: row.key_prefix,
    access_key: row.access_key,
    created_at: row.created_at,
    revoked_at: row.revoked_at,
    webhook_url: row.webhook_url,
    limits: {
      budgetMicros: row.budget_micros,
      rpm: row.rpm,
      maxConcurrency: row.max_concurrency,
      models: row.models === null ? null : modelListSchema.parse(JSON.parse(row.models)),
      expiresAt: row.expires_at,
    },
    heldMicros: row.held_micros,
    spentMicros: row.spent_micros,
    activeTasks: row.active_tasks,
  };
}

/** The columns for the limits given (absent fields are left out, so an update leaves them alone). */
function limitColumns(limits: Partial<KeyLimits>): Partial<Pick<ApiKeysTable, 'budget_micros' | 'rpm' | 'max_concurrency' | 'models' | 'expires_at'>> {
  return {
    ...(limits.budgetMicros !== undefined ? { budget_micros: limits.budgetMicros } : {}),
    ...(limits.rpm !== undefined ? { rpm: limits.rpm } : {}),
    ...(limits.maxConcurrency !== undefined ? { max_concurrency: limits.maxConcurrency } : {}),
    ...(limits.models !== undefined ? { models: limits.models === null ? null : JSON.stringify(limits.models) } : {}),
    ...(limits.expiresAt !== undefined ? { expires_at: limits.expiresAt } : {}),
  };
}
