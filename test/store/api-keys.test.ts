import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createApiKeyStore, hashKey, type ApiKeyStore } from '../../src/store/api-keys.ts';
import type { Db } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrations.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';

describe.each(backends)('API key store on $name', (backend) => {
  let db: Db;
  let keys: ApiKeyStore;
  const encryptionKey = randomBytes(32);

  eachDatabase(backend, (opened) => {
    db = opened;
    keys = createApiKeyStore(db.kysely, encryptionKey);
  });

  it('stores the key only as a hash and the secret key only encrypted', async () => {
    const k = await keys.create('app');
    const row = await db.kysely.selectFrom('api_keys').selectAll().where('id', '=', k.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(hashKey(k.key));
    expect(JSON.stringify(row)).not.toContain(k.key);
    expect(JSON.stringify(row)).not.toContain(k.secret_key);
    expect((await keys.findByAccessKey(k.access_key))?.secretKey).toBe(k.secret_key);
  });

  it('cannot read a secret sealed under another server secret', async () => {
    const k = await keys.create('app');
    const other = createApiKeyStore(db.kysely, randomBytes(32));
    await expect(other.findByAccessKey(k.access_key)).rejects.toThrow();
  });

  it('finds keys by bearer key and access key until revoked', async () => {
    const k = await keys.create('app');
    expect(await keys.findByKey(k.key)).toEqual({ id: k.id, name: 'app', expiresAt: null });
    expect(await keys.revoke(k.id)).toBe(true);
    expect(await keys.revoke(k.id)).toBe(false);
    expect(await keys.findByKey(k.key)).toBeNull();
    expect(await keys.findByAccessKey(k.access_key)).toBeNull();
    expect((await keys.list()).find((x) => x.id === k.id)?.revoked_at).not.toBeNull();
  });

  it('migrates idempotently: a second run at start changes nothing', async () => {
    await keys.create('kept');
    await migrateToLatest(db);
    expect((await keys.list()).map((k) => k.name)).toEqual(['kept']);
  });

  it('stores the webhook secret only encrypted and reads it back', async () => {
    const k = await keys.create('app');
    const row = await db.kysely.selectFrom('api_keys').selectAll().where('id', '=', k.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(k.webhook_secret.slice('whsec_'.length));
    expect(await keys.webhookSecret(k.id)).toBe(k.webhook_secret);
  });

  it('gives a key made before webhooks a secret on first use, the same one ever after', async () => {
    const k = await keys.create('old');
    await db.kysely.updateTable('api_keys').set({ webhook_secret_enc: null }).where('id', '=', k.id).execute();
    const [a, b] = await Promise.all([keys.webhookSecret(k.id), keys.webhookSecret(k.id)]);
    expect(a).toMatch(/^whsec_/);
    expect(b).toBe(a);
    expect(await keys.webhookSecret(k.id)).toBe(a);
    expect(await keys.webhookSecret('key_missing')).toBeNull();
  });

  it('rotates the secret of an active key only; a revoked key keeps signing with its last one', async () => {
    const k = await keys.create('rotating');
    const next = await keys.rotateWebhookSecret(k.id);
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(k.webhook_secret);
    expect(await keys.webhookSecret(k.id)).toBe(next);
    await keys.revoke(k.id);
    expect(await keys.rotateWebhookSecret(k.id)).toBeNull();
    expect(await keys.setWebhookUrl(k.id, 'https://x.example/')).toBe(false);
    expect(await keys.webhookSecret(k.id)).toBe(next);
  });
});

describe.each(backends)('API key lookups with a NUL character on $name', (backend) => {
  it('find nothing instead of failing', async () => {
    const { db, cleanup } = await backend.open();
    try {
      const keys = createApiKeyStore(db.kysely, randomBytes(32));
      expect(await keys.findByKey('rl_\u0000')).toBeNull();
      expect(await keys.findByAccessKey('AK\u0000')).toBeNull();
      expect(await keys.rotateWebhookSecret('key_\u0000')).toBeNull();
      expect(await keys.setWebhookUrl('key_\u0000', null)).toBe(false);
      expect(await keys.webhookSecret('key_\u0000')).toBeNull();
    } finally {
      await cleanup();
    }
  });
});
