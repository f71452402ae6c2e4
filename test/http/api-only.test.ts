/** `worker.enabled: false`: the instance takes and answers creates, and leaves every task to other instances. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('an API-only instance (worker.enabled false)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { enabled: false, pollMilliseconds: 20 } } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('stores a created task and never starts it', async () => {
    const res = await server.api('/v1/videos/text2video', { method: 'POST', json: { prompt: 'api only', duration: '3' } });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    // Many poll intervals of a working instance.
    await new Promise((r) => setTimeout(r, 500));
    const row = await server.db.kysely.selectFrom('tasks').select(['status', 'started_at', 'lease_token']).where('public_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'queued', started_at: null, lease_token: null });
    const read = await server.api(`/v1/videos/text2video/${id}`);
    expect(((await read.json()) as { data: { task_status: string } }).data.task_status).toBe('submitted');
  });
});
