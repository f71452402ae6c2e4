/**
 * API keys: minted here, stored as sha256 of the bearer key and an encrypted secret key, never
 * logged. The access key is an identifier (the JWT `iss`), so it is stored in clear.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { randomChars } from '../domain/ids.ts';
import type { Database } from './schema.ts';
import { open, seal } from './secret-box.ts';
import { isStorableText } from './text-guards.ts';

export type CreatedKey = { id: string; name: string; key: string; access_key: string; secret_key: string };
export type KeyInfo = { id: string; name: string; key_prefix: string; access_key: string; created_at: number; revoked_at: number | null };
export type KeyOwner = { id: string; name: string };

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;

export function createApiKeyStore(db: Kysely<Database>, encryptionKey: Buffer) {
  const active = () => db.selectFrom('api_keys').where('revoked_at', 'is', null);

  return {
    async create(name: string, now: number = Date.now()): Promise<CreatedKey> {
      const created: CreatedKey = {
        id: `key_${randomChars(16)}`,
        name,
        key: `rl_${randomBytes(32).toString('base64url')}`,
        access_key: `AK${randomChars(30)}`,
        secret_key: randomBytes(32).toString('base64url'),
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
        })
        .execute();
      return created;
    },

    async list(): Promise<KeyInfo[]> {
      return db
        .selectFrom('api_keys')
        .select(['id', 'name', 'key_prefix', 'access_key', 'created_at', 'revoked_at'])
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },

    /** Revokes a key; false when there is no such active key. */
    async revoke(id: string, now: number = Date.now()): Promise<boolean> {
      const r = await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async findByKey(key: string): Promise<KeyOwner | null> {
      if (!isStorableText(key)) return null;
      const row = await active().select(['id', 'name']).where('key_hash', '=', hashKey(key)).executeTakeFirst();
      return row ?? null;
    },

    /** The owner and clear secret key of an access key, to verify a JWT it signed. */
    async findByAccessKey(accessKey: string): Promise<(KeyOwner & { secretKey: string }) | null> {
      if (!isStorableText(accessKey)) return null;
      const row = await active().select(['id', 'name', 'secret_enc']).where('access_key', '=', accessKey).executeTakeFirst();
      return row ? { id: row.id, name: row.name, secretKey: open(encryptionKey, row.secret_enc) } : null;
    },
  };
}
