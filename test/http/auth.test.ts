import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/** A token the way the official Kling samples make one (spec §1.2). */
function klingJwt(accessKey: string, secretKey: string, claims: { exp?: number; nbf?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(accessKey).setExpirationTime(claims.exp ?? now + 1800).setNotBefore(claims.nbf ?? now - 5);
  return jwt.sign(new TextEncoder().encode(secretKey));
}

describe('authentication', () => {
  let server: TestServer;
  let key: Awaited<ReturnType<TestServer['createKey']>>;
  const list = '/v1/videos/text2video';

  beforeAll(async () => {
    server = await startTestServer();
    key = await server.createKey('auth-test');
  });
  afterAll(async () => server.stop());

  const expectKlingAuthError = async (res: Response, code: number) => {
    expect(res.status).toBe(401);
    const body = (await res.json()) as { code: number; message: string; request_id: string };
    expect(body.code).toBe(code);
    expect(body.message).toMatch(/Authorization/);
    expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
  };

  it('accepts the API key as a bearer token', async () => {
    const res = await server.api(list, { key: key.key });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: 0, data: [] });
  });

  it('accepts an HS256 JWT signed with the secret key, iss = access key (Kling SDKs)', async () => {
    const res = await server.api(list, { key: await klingJwt(key.access_key, key.secret_key) });
    expect(res.status).toBe(200);
  });

  it('answers 1001 for an empty Authorization', async () => {
    await expectKlingAuthError(await server.api(list, { key: '' }), 1001);
  });

  it('answers 1002 for an unknown key, a bad signature, an unknown issuer or garbage', async () => {
    await expectKlingAuthError(await server.api(list, { key: 'rl_not-a-key' }), 1002);
    await expectKlingAuthError(await server.api(list, { key: await klingJwt(key.access_key, 'wrong-secret') }), 1002);
    await expectKlingAuthError(await server.api(list, { key: await klingJwt('AKunknown', key.secret_key) }), 1002);
    await expectKlingAuthError(await server.api(list, { key: 'a.b.c' }), 1002);
    const res = await fetch(`${server.url}${list}`, { headers: { authorization: 'Basic abc' } });
    await expectKlingAuthError(res, 1002);
  });

  it('answers 1003 for a token that is not yet valid (nbf in the future)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectKlingAuthError(await server.api(list, { key: await klingJwt(key.access_key, key.secret_key, { nbf: now + 600 }) }), 1003);
  });

  it('answers 1004 for an expired token (exp in the past)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectKlingAuthError(await server.api(list, { key: await klingJwt(key.access_key, key.secret_key, { exp: now - 10, nbf: now - 100 }) }), 1004);
  });

  it('stops accepting a revoked key and its JWTs', async () => {
    const doomed = await server.createKey('doomed');
    const jwt = await klingJwt(doomed.access_key, doomed.secret_key);
    expect((await server.api(list, { key: doomed.key })).status).toBe(200);
    const del = await server.api(`/admin/keys/${doomed.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    await expectKlingAuthError(await server.api(list, { key: doomed.key }), 1002);
    await expectKlingAuthError(await server.api(list, { key: jwt }), 1002);
    expect((await server.api(`/admin/keys/${doomed.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('lets only the master key reach /admin', async () => {
    const res = await server.api('/admin/keys', { key: key.key });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await server.api('/admin/keys', { key: '' })).status).toBe(401);
  });

  it('creates keys with the fixed shape and lists them without secrets', async () => {
    const created = await server.createKey('shape');
    expect(Object.keys(created).sort()).toEqual([
      'access_key', 'active_tasks', 'budget_credits', 'created_at', 'expires_at', 'held_credits', 'id', 'key', 'key_prefix', 'max_concurrency',
      'models', 'name', 'remaining_credits', 'revoked_at', 'rpm', 'secret_key', 'spent_credits', 'webhook_secret', 'webhook_url',
    ]);
    expect(created.name).toBe('shape');
    const listed = (await (await server.api('/admin/keys')).json()) as { keys: Array<Record<string, unknown>> };
    const row = listed.keys.find((k) => k.id === created.id);
    expect(row).toMatchObject({ id: created.id, name: 'shape', access_key: created.access_key, revoked_at: null });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(JSON.stringify(listed)).not.toContain(created.secret_key);
    expect(JSON.stringify(listed)).not.toContain(created.webhook_secret);
  });

  it('refuses a key without a name, in the admin envelope', async () => {
    const res = await server.api('/admin/keys', { method: 'POST', json: { name: '' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_parameter', message: 'name must not be empty' } });
  });

  it('serves /healthz and /readyz without a key', async () => {
    expect(await (await server.api('/healthz', { key: '' })).json()).toEqual({ status: 'ok' });
    expect(await (await server.api('/readyz', { key: '' })).json()).toEqual({ status: 'ready' });
  });
});

describe('a secret key sealed under another server secret', () => {
  it('makes its JWTs invalid (1002), not a server error', async () => {
    const first = await startTestServer({ env: { REELAY_SECRET: 'a'.repeat(40) } });
    const key = await first.createKey('sealed');
    const dataDir = first.dataDir;
    await first.close();
    const second = await startTestServer({ env: { REELAY_SECRET: 'b'.repeat(40), REELAY_DATA_DIR: dataDir } });
    try {
      const res = await second.api('/v1/videos/text2video', { key: await klingJwt(key.access_key, key.secret_key) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 1002 });
      // The bearer key itself is only hashed, so it still works.
      expect((await second.api('/v1/videos/text2video', { key: key.key })).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
