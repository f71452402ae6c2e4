/** The outbox survives kill -9: a delivery in the middle of its retries still arrives after a restart. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, killHard, startChildServer, type ChildServer } from '../support/child-server.ts';
import { tempDir } from '../support/temp-dir.ts';
import { startReceiver, type Receiver, type Received } from '../support/webhook-receiver.ts';

type Row = { status: string; attempts: number; lease_token: string | null; due_at: number | null };

describe('a restart during the retries of a delivery', () => {
  const tmp = tempDir('reelay-delivery-restart-');
  let current: ChildServer | undefined;
  let receiver: Receiver | undefined;
  afterAll(async () => {
    if (current) await killHard(current.process);
    await receiver?.close();
    tmp.remove();
  });

  function deliveryRow(id: string): Row | undefined {
    const db = new SqliteDatabase(path.join(tmp.dir, 'reelay.db'), { readonly: true });
    try {
      return db.prepare('select status, attempts, lease_token, due_at from deliveries where id = ?').get(id) as Row | undefined;
    } finally {
      db.close();
    }
  }

  it('loses no delivery: after kill -9 and a new start it arrives, with the same webhook-id', async () => {
    receiver = await startReceiver();
    // Two failures, then success: the kill falls between the first failure and its retry.
    receiver.respond('/restart', (_r, n) => (n <= 2 ? 500 : 200));
    const env = { PORT: String(await freePort()), REELAY_DATA_DIR: tmp.dir, REELAY_ALLOW_PRIVATE_URLS: 'true' };
    current = await startChildServer(env);
    const master = readFileSync(path.join(tmp.dir, 'master.key'), 'utf8').trim();
    const as = (k: string) => ({ authorization: `Bearer ${k}`, 'content-type': 'application/json' });
    const key = (await (await fetch(`${current.url}/admin/keys`, { method: 'POST', headers: as(master), body: '{"name":"restart"}' })).json()) as { key: string; webhook_secret: string };
    const created = await fetch(`${current.url}/v1/videos/generations`, {
      method: 'POST',
      headers: as(key.key),
      body: JSON.stringify({ model: 'kling-v3-text-to-video', prompt: 'a slow tide', duration: 3, callback_url: receiver.url('/restart') }),
    });
    const taskId = ((await created.json()) as { id: string }).id;

    const [first] = await receiver.waitFor('/restart', 1);
    const deliveryId = (first as Received).headers['webhook-id'] as string;
    // Kill once the failure is on disk (leased no more, due for its retry), before the retry runs.
    const deadline = Date.now() + 5_000;
    while (deliveryRow(deliveryId)?.lease_token !== null) {
      if (Date.now() > deadline) throw new Error(`the first failure was never recorded: ${JSON.stringify(deliveryRow(deliveryId))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await killHard(current.process);
    expect(receiver.on('/restart')).toHaveLength(1);
    expect(deliveryRow(deliveryId)).toMatchObject({ status: 'pending', attempts: 1, lease_token: null });

    current = await startChildServer(env);
    const all = await receiver.waitFor('/restart', 3, 30_000);
    expect(all.map((r) => r.headers['webhook-id'])).toEqual([deliveryId, deliveryId, deliveryId]);
    for (const r of all) expect(new Webhook(key.webhook_secret).verify(r.body, r.headers)).toMatchObject({ id: taskId, status: 'completed' });
    const settled = Date.now() + 5_000;
    while (deliveryRow(deliveryId)?.status !== 'delivered' && Date.now() < settled) await new Promise((r) => setTimeout(r, 50));
    expect(deliveryRow(deliveryId)).toEqual({ status: 'delivered', attempts: 3, lease_token: null, due_at: null });
  });
});
