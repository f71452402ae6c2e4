/**
 * Abuse suite (issue 8): storage that cannot take a finished video. Three ways, each real:
 * - the disk storage's folder replaced by a file (ENOTDIR on every write; runs anywhere);
 * - a real full disk: a 64 KiB tmpfs mounted on the media folder and filled up (ENOSPC), where
 *   the test may mount (root with CAP_SYS_ADMIN; skipped elsewhere);
 * - S3 storage whose bucket is deleted under the running server (s3rver: NoSuchBucket).
 * Each time the task fails with storage_failed and a message that says so (and shows no server
 * path), its hold is released exactly (the ledger balances, nothing captured), and the server
 * keeps serving: /readyz is 200 and, once the storage is back, the next task completes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { expectBalanced } from '../support/billing.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { startTestServer, waitForKlingTask, type CreatedKey, type TestServer } from '../support/server.ts';

/** True when this process may mount a tmpfs (root with CAP_SYS_ADMIN, as on the dev machine and CI). */
function canMount(): boolean {
  const dir = path.join('/tmp', `reelay-mount-probe-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function createTask(server: TestServer, key: CreatedKey, prompt: string): Promise<string> {
  const res = await server.api('/v1/videos/text2video', { method: 'POST', key: key.key, json: { prompt, duration: '3', mode: 'std' } });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { data: { task_id: string } }).data.task_id;
}

/** The task failed for its storage, said so without a server path, and its hold went back whole. */
async function expectStorageFailure(server: TestServer, key: CreatedKey, id: string, serverPaths: string[]): Promise<void> {
  const data = await waitForKlingTask(server, `/v1/videos/text2video/${id}`, key.key, 60_000);
  expect(data.task_status, JSON.stringify(data)).toBe('failed');
  const message = String(data.task_status_msg);
  expect(message).toMatch(/^storing the video failed/);
  for (const p of serverPaths) expect(message, 'the message shows where the server keeps its files').not.toContain(p);
  const row = await server.db.kysely.selectFrom('tasks').select(['error_code', 'hold_micros', 'charged_micros', 'released_micros']).where('public_id', '=', id).executeTakeFirstOrThrow();
  expect(row.error_code).toBe('storage_failed');
  expect(row.hold_micros).toBeGreaterThan(0);
  expect(row.charged_micros).toBe(0);
  expect(row.released_micros).toBe(row.hold_micros);
  const money = await expectBalanced(server.db.kysely, key.id);
  expect(money.captured).toBe(0);
  expect(money.heldMicros).toBe(0);
}

/** The server still answers, and a task on working storage completes. */
async function expectStillServing(server: TestServer, key: CreatedKey): Promise<void> {
  expect((await server.api('/readyz', { key: '' })).status).toBe(200);
  const id = await createTask(server, key, 'after the storage came back');
  const data = await waitForKlingTask(server, `/v1/videos/text2video/${id}`, key.key, 60_000);
  expect(data.task_status, JSON.stringify(data)).toBe('succeed');
  const url = (data.task_result as { videos: Array<{ url: string }> }).videos[0]?.url ?? '';
  const media = await fetch(url);
  expect(media.status).toBe(200);
  expect((await media.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  await expectBalanced(server.db.kysely, key.id);
}

describe('a storage write failure while storing a finished video (abuse suite)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('disk: the media folder is a file (ENOTDIR): the task fails storage_failed, refunded; the server goes on', async () => {
    const server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    cleanups.push(() => server.stop());
    const key = await server.createKey('disk-broken');
    const media = path.join(server.dataDir, 'media');
    rmSync(media, { recursive: true, force: true });
    writeFileSync(media, 'not a folder');
    const id = await createTask(server, key, 'into a broken disk');
    await expectStorageFailure(server, key, id, [server.dataDir]);
    rmSync(media, { force: true });
    mkdirSync(media);
    await expectStillServing(server, key);
  }, 120_000);

  it.runIf(canMount())('disk full: a 64 KiB tmpfs on the media folder (ENOSPC): storage_failed, refunded; the server goes on', async () => {
    const server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    cleanups.push(() => server.stop());
    const key = await server.createKey('disk-full');
    const media = path.join(server.dataDir, 'media');
    mkdirSync(media, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', media]);
    let mounted = true;
    cleanups.push(() => {
      if (mounted) execFileSync('umount', ['-l', media]);
    });
    // A short preview clip can fit in 64 KiB: fill the disk to the last byte first.
    const filler = path.join(media, 'filler');
    expect(() => execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' })).toThrow();
    expect(execFileSync('df', ['--output=avail', media]).toString()).toMatch(/\n\s*0\s*$/);
    const id = await createTask(server, key, 'into a full disk');
    await expectStorageFailure(server, key, id, [server.dataDir]);
    // Nothing half-written is left behind on the full disk.
    expect(execFileSync('find', [media, '-type', 'f']).toString().trim()).toBe(filler);
    execFileSync('umount', [media]);
    mounted = false;
    await expectStillServing(server, key);
  }, 120_000);

  it('S3: the bucket is deleted under the running server: storage_failed, refunded; the server goes on', async () => {
    const s3: TestS3Server = await startS3Server();
    cleanups.push(() => s3.stop());
    const server = await startTestServer({ env: s3.env(), configFile: { worker: { concurrency: 1 } } });
    cleanups.push(() => server.stop());
    const key = await server.createKey('s3-gone');
    const client = s3.client();
    await client.send(new DeleteBucketCommand({ Bucket: s3.bucket }));
    const id = await createTask(server, key, 'into a missing bucket');
    await expectStorageFailure(server, key, id, [server.dataDir]);
    await client.send(new CreateBucketCommand({ Bucket: s3.bucket }));
    await expectStillServing(server, key);
  }, 120_000);
});
