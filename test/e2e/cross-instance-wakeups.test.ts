/**
 * Two Reelay instances on one PostgreSQL schema, with every poll slowed to a minute: only
 * LISTEN/NOTIFY can wake them. A task created on A (whose worker is stopped) is started by B's
 * worker at once, and an event stream opened on A sees each change B's worker makes as it happens.
 * Runs where PostgreSQL is (REELAY_TEST_DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgSchema, postgresUrl } from '../support/databases.ts';
import { README_EXAMPLE } from '../support/kling-examples.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { sseItems } from '../support/sse.ts';

/** Long enough that a test passing within a second cannot have been woken by a poll. */
const SLOW = { worker: { concurrency: 1, pollMilliseconds: 60_000 }, events: { pollMilliseconds: 60_000, keepAliveMilliseconds: 600_000 } };

describe.skipIf(!postgresUrl)('cross-instance wake-ups (PostgreSQL LISTEN/NOTIFY)', () => {
  let a: TestServer;
  let b: TestServer;
  let key: string;
  beforeAll(async () => {
    const { schema } = await createPgSchema(postgresUrl as string);
    const url = new URL(postgresUrl as string);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const env = { DATABASE_URL: url.toString() };
    a = await startTestServer({ env, configFile: SLOW });
    b = await startTestServer({ env, configFile: SLOW });
    await a.worker.stop();
    key = (await a.createKey('a')).key;
  });
  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
  });

  it("starts a task created on A with B's worker, and A's event stream sees B's changes as they happen", async () => {
    const createdAt = Date.now();
    const res = await a.api('/v1/videos/text2video', { method: 'POST', key, json: { ...README_EXAMPLE, duration: '5' } });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const stream = await a.api(`/v1/tasks/${id}/events`, { key });
    expect(stream.status).toBe(200);

    // Each event, with when it arrived and what the store said then.
    const seen: Array<{ event: string; at: number; progress: number }> = [];
    const reading = (async () => {
      for await (const item of sseItems(stream)) {
        if (item.kind !== 'event') continue;
        const body = JSON.parse(item.data) as { data: { reelay: { progress: number } } };
        seen.push({ event: item.event, at: Date.now(), progress: body.data.reelay.progress });
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([reading, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`stream still open; saw ${JSON.stringify(seen)}`)), 30_000)))]);
    } finally {
      clearTimeout(timer);
    }

    const row = await a.db.kysely.selectFrom('tasks').select(['status', 'started_at', 'finished_at', 'lease_token']).where('public_id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('completed');
    // B's worker picked it up within a second of the create (its own poll is a minute away).
    expect((row.started_at as number) - createdAt).toBeLessThan(1000);
    const names = seen.map((s) => s.event);
    expect(names[0]).toBe('queued');
    expect(names).toContain('running');
    expect(names.at(-1)).toBe('completed');
    // A heard B's changes within a second of each (A's own poll is a minute away).
    const firstRunning = seen.find((s) => s.event === 'running');
    expect((firstRunning?.at as number) - (row.started_at as number)).toBeLessThan(1000);
    expect((seen.at(-1)?.at as number) - (row.finished_at as number)).toBeLessThan(1000);
    // Progress in between came through too (published by B after each write).
    expect(seen.filter((s) => s.event === 'running').length).toBeGreaterThanOrEqual(2);
  });
});
