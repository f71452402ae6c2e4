import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, killHard, startChildServer, type ChildServer } from '../support/child-server.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('secrets never reach the log', () => {
  const tmp = tempDir('reelay-logs-');
  let server: ChildServer | undefined;
  afterAll(async () => {
    if (server) await killHard(server.process);
    tmp.remove();
  });

  it('logs no master key, API key, secret key or JWT even at trace level, and prints where the master key is', async () => {
    server = await startChildServer({ PORT: String(await freePort()), REELAY_DATA_DIR: tmp.dir, LOG_LEVEL: 'trace' });
    const master = readFileSync(path.join(tmp.dir, 'master.key'), 'utf8').trim();
    const headers = (k: string) => ({ authorization: `Bearer ${k}`, 'content-type': 'application/json' });
    const created = (await (await fetch(`${server.url}/admin/keys`, { method: 'POST', headers: headers(master), body: '{"name":"log-test"}' })).json()) as Record<string, string>;
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(created.access_key as string).setExpirationTime('30m').sign(new TextEncoder().encode(created.secret_key));
    for (const k of [created.key as string, jwt, 'rl_wrong']) {
      await fetch(`${server.url}/v1/videos/text2video`, { method: 'POST', headers: headers(k), body: '{"prompt":"x","duration":"99"}' });
    }
    const out = server.output();
    expect(out).toContain(path.join(tmp.dir, 'master.key'));
    expect(out).toMatch(/"msg":"request"/);
    for (const secret of [master, created.key, created.secret_key, created.webhook_secret, jwt]) expect(out).not.toContain(secret);
  });
});
