import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, killHard, startChildServer, type ChildServer } from '../support/child-server.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('a restart in the middle of a render', () => {
  const tmp = tempDir('reelay-restart-');
  let current: ChildServer | undefined;
  afterAll(async () => {
    if (current) await killHard(current.process);
    tmp.remove();
  });

  it('resumes the task after kill -9: completed once, one video, two attempts', async () => {
    const config = path.join(tmp.dir, 'config.json');
    // A short lease so the dead worker's claim expires quickly.
    writeFileSync(config, JSON.stringify({ worker: { concurrency: 1, leaseSeconds: 5, pollMilliseconds: 200 } }));
    const env = { PORT: String(await freePort()), REELAY_DATA_DIR: tmp.dir, REELAY_CONFIG: config };
    current = await startChildServer(env);
    const key = readFileSync(path.join(tmp.dir, 'master.key'), 'utf8').trim();
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const get = async (url: string, id: string) =>
      ((await (await fetch(`${url}/v1/videos/text2video/${id}`, { headers })).json()) as { data: { task_status: string; reelay: { progress: number }; task_result?: { videos: unknown[] } } }).data;

    const created = await fetch(`${current.url}/v1/videos/text2video`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model_name: 'kling-v3', prompt: 'a long slow pan over a city at night', duration: '15', mode: 'pro', sound: 'on' }),
    });
    const id = ((await created.json()) as { data: { task_id: string } }).data.task_id;

    // Wait until the render is visibly under way, then pull the plug.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const t = await get(current.url, id);
      if (t.task_status === 'processing' && t.reelay.progress > 0) break;
      expect(t.task_status).not.toBe('succeed');
      if (Date.now() > deadline) throw new Error('the render never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    await killHard(current.process);

    current = await startChildServer(env);
    const end = Date.now() + 90_000;
    let final = await get(current.url, id);
    while (final.task_status !== 'succeed' && final.task_status !== 'failed' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      final = await get(current.url, id);
    }
    expect(final.task_status).toBe('succeed');
    expect(final.task_result?.videos).toHaveLength(1);

    const db = new SqliteDatabase(path.join(tmp.dir, 'reelay.db'), { readonly: true });
    const row = db.prepare('select status, attempts, due_at, lease_token from tasks where public_id = ?').get(id);
    db.close();
    // Claimed once before the kill and once after; terminal, so never due again.
    expect(row).toEqual({ status: 'completed', attempts: 2, due_at: null, lease_token: null });
  });
});
