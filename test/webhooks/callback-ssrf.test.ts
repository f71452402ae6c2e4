/**
 * SSRF with the operator setting off (the default): private and loopback callback URLs are
 * refused at create in every dialect's words; a DNS name that resolves to a loopback address
 * passes the create (a name cannot be judged then) and is refused by the URL guard when the
 * delivery connects, before any packet reaches the receiver.
 */
import dns from 'node:dns/promises';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { nonPublicRange } from '../../src/webhooks/public-address.ts';
import { callbackUrlRule } from '../../src/webhooks/callback-target.ts';
import type { CreatedKey, TestServer } from '../support/server.ts';
import { webhookSuite, type Receiver } from '../support/webhook-receiver.ts';

let server: TestServer;
let receiver: Receiver;
let key: CreatedKey;
webhookSuite((suite) => ({ server, receiver, key } = suite), { allowPrivate: false });

const TARGETS = ['http://10.0.0.1/x', 'https://127.0.0.1/x', 'https://localhost/x', 'https://[::ffff:127.0.0.1]/x'];

async function create(path: string, json: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await server.api(path, { method: 'POST', key: key.key, json });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('callback URLs refused at create (REELAY_ALLOW_PRIVATE_URLS off)', () => {
  it.each(TARGETS)('refuses %s in the Kling, new-design and EvoLink dialects, naming the field', async (url) => {
    const kling = await create('/v1/videos/text2video', { model_name: 'kling-v3', prompt: 'x', callback_url: url });
    expect(kling.status).toBe(400);
    expect(kling.body).toMatchObject({ code: 1201, message: expect.stringMatching(/^callback_url must (use https|point to a public address)/) });

    const klingNew = await create('/text-to-video/kling-3.0', { prompt: 'x', options: { callback_url: url } });
    expect(klingNew.status).toBe(400);
    expect(klingNew.body).toMatchObject({ code: 1201, message: expect.stringMatching(/^options\.callback_url must/) });

    const evolink = await create('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'x', callback_url: url });
    expect(evolink.status).toBe(400);
    expect(evolink.body).toMatchObject({ error: { code: 400, type: 'invalid_request_error', param: 'callback_url' } });
  });

  it('names the address and its range, and refuses a URL over 2048 characters', async () => {
    const mapped = await create('/v1/videos/text2video', { model_name: 'kling-v3', prompt: 'x', callback_url: 'https://[::ffff:127.0.0.1]/x' });
    expect(mapped.body.message).toBe('callback_url must point to a public address, not ::ffff:7f00:1 (loopback)');
    const long = await create('/v1/videos/text2video', { model_name: 'kling-v3', prompt: 'x', callback_url: `https://example.com/${'a'.repeat(2100)}` });
    expect(long.body.message).toBe('callback_url must be at most 2048 characters');
    // Nothing was persisted for any refused create.
    const list = (await (await server.api('/v1/videos/text2video', { key: key.key })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
  });

  it('refuses the same targets as a key default webhook URL', async () => {
    for (const url of TARGETS) {
      const res = await server.api(`/admin/keys/${key.id}`, { method: 'PATCH', json: { webhook_url: url } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^webhook_url must/);
    }
  });
});

/**
 * A DNS name (not `localhost`, which is refused by name) that this machine resolves to a loopback
 * or private address: the host's own name (in /etc/hosts, 127.0.0.1 here), else Debian's
 * `ip6-localhost` (::1). No network DNS is needed, so it works offline.
 */
async function nameResolvingToLoopback(): Promise<string | null> {
  for (const name of [os.hostname(), 'ip6-localhost', 'ip6-loopback']) {
    if (callbackUrlRule(`https://${name}/`, { allowPrivate: false }) !== null) continue;
    const addresses = await dns.lookup(name, { all: true }).catch(() => []);
    if (addresses.length > 0 && addresses.every((a) => nonPublicRange(a.address) !== null)) return name;
  }
  return null;
}

describe('callback URLs refused at send time', () => {
  it('accepts a DNS name at create, and the guard refuses it at connect time: the delivery fails at once, saying where it pointed', async (ctx) => {
    const name = await nameResolvingToLoopback();
    // Without such a name the guard's own test (url-guard.test.ts) covers a name resolving to 127.0.0.1.
    if (name === null) return ctx.skip();
    const port = new URL(receiver.url('/')).port;
    const created = await create('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'x', duration: 3, callback_url: `https://${name}:${port}/dns` });
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    const deadline = Date.now() + 30_000;
    let delivery: { status: string; attempts: number; last_error: string | null } | undefined;
    while (delivery?.status !== 'failed') {
      if (Date.now() > deadline) throw new Error(`delivery still ${JSON.stringify(delivery)}`);
      await new Promise((r) => setTimeout(r, 100));
      delivery = ((await (await server.api(`/admin/deliveries?task_id=${id}`)).json()) as { deliveries: Array<typeof delivery> }).deliveries[0];
    }
    // Refused by policy: final at the first attempt, no retries.
    expect(delivery.attempts).toBe(1);
    expect(delivery.last_error).toMatch(new RegExp(`^url host ${name.replace(/\./g, '\\.')} resolves to a private address \\S+ \\(loopback\\); only public addresses may be fetched$`));
    expect(receiver.received).toEqual([]);
  });
});
