/**
 * The retry schedule (1, 2, 4 s after a failure; failed after the third retry), a receiver that
 * hangs, and a redirect, against real receivers on 127.0.0.1 and a real Reelay.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { CreatedKey, TestServer } from '../support/server.ts';
import { webhookSuite, type Receiver, type Received } from '../support/webhook-receiver.ts';

type Listed = { id: string; event: string; status: string; attempts: number; last_status: number | null; last_error: string | null };

let server: TestServer;
let receiver: Receiver;
let key: CreatedKey;
webhookSuite((suite) => ({ server, receiver, key } = suite));

/** An EvoLink task (one delivery: the terminal one) calling back to `path`; its public id. */
async function evolinkTask(path: string): Promise<string> {
  const res = await server.api('/v1/videos/generations', { method: 'POST', key: key.key, json: { model: 'kling-v3-text-to-video', prompt: `a test for ${path}`, duration: 3, callback_url: receiver.url(path) } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

async function deliveryOf(taskId: string): Promise<Listed | undefined> {
  return ((await (await server.api(`/admin/deliveries?task_id=${taskId}`)).json()) as { deliveries: Listed[] }).deliveries[0];
}

async function waitUntil(taskId: string, done: (d: Listed) => boolean, timeoutMs = 30_000): Promise<Listed> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await deliveryOf(taskId);
    if (d && done(d)) return d;
    if (Date.now() > deadline) throw new Error(`delivery of ${taskId} is still ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const verify = (r: Received) => new Webhook(key.webhook_secret).verify(r.body, r.headers);

describe('retries', () => {
  it('retries a failing receiver 1, 2 and 4 s after each failure, with one webhook-id, until the 4th attempt succeeds', async () => {
    receiver.respond('/flaky', (_r, n) => (n <= 3 ? 500 : 200));
    const taskId = await evolinkTask('/flaky');
    const attempts = await receiver.waitFor('/flaky', 4, 60_000);
    const gaps = attempts.slice(1).map((r, i) => r.at - (attempts[i] as Received).at);
    // The wait counts from the failed answer (a few ms after the request) plus the sender's own latency.
    for (const [gap, planned] of gaps.map((g, i) => [g, [1000, 2000, 4000][i] as number])) {
      expect(gap).toBeGreaterThanOrEqual((planned as number) - 50);
      expect(gap).toBeLessThan((planned as number) + 700);
    }
    expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Each attempt is signed afresh (its own timestamp), and every one verifies.
    for (const r of attempts) expect(verify(r)).toMatchObject({ id: taskId, status: 'completed' });
    const delivery = await waitUntil(taskId, (d) => d.status === 'delivered');
    expect(delivery).toMatchObject({ id: attempts[0]?.headers['webhook-id'], attempts: 4, last_status: 200, last_error: null });
  });

  it('gives up after the third retry: failed, with what the receiver last answered', async () => {
    receiver.respond('/down', () => 503);
    const taskId = await evolinkTask('/down');
    const delivery = await waitUntil(taskId, (d) => d.status === 'failed');
    expect(delivery).toMatchObject({ attempts: 4, last_status: 503, last_error: 'the receiver answered HTTP 503' });
    expect(receiver.on('/down')).toHaveLength(4);
  });

  it('refuses to follow a redirect to a private target; the delivery ends failed saying so', async () => {
    receiver.respond('/redirect', () => ({ status: 302, location: 'http://10.0.0.1/internal' }));
    const taskId = await evolinkTask('/redirect');
    const delivery = await waitUntil(taskId, (d) => d.status === 'failed');
    expect(delivery).toMatchObject({ last_status: null, last_error: 'redirects are not followed (HTTP 302 to http://10.0.0.1/internal)' });
    expect(receiver.on('/internal')).toHaveLength(0);
  });
});

describe('a receiver that hangs', () => {
  it('does not delay a delivery to another receiver, and times out after 10 s', async () => {
    receiver.respond('/hang', () => 'hang');
    const hung = await evolinkTask('/hang');
    const [stuck] = await receiver.waitFor('/hang', 1);
    const fast = await evolinkTask('/fast');
    const [quick] = await receiver.waitFor('/fast', 1, 9_000);
    // Delivered while the first receiver still holds its request open.
    expect(receiver.on('/hang')).toHaveLength(1);
    expect((quick as Received).at - (stuck as Received).at).toBeLessThan(9_000);
    expect(await waitUntil(fast, (d) => d.status === 'delivered')).toMatchObject({ attempts: 1 });
    const timedOut = await waitUntil(hung, (d) => d.last_error !== null, 15_000);
    expect(timedOut).toMatchObject({ status: 'pending', attempts: 1, last_error: 'no complete response within 10 s' });
    expect(Date.now() - (stuck as Received).at).toBeGreaterThanOrEqual(9_900);
  });
});
