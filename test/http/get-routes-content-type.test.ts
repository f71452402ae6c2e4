import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Some SDKs send `Content-Type: application/json` on every request, GETs included. */
describe('GET routes with Content-Type: application/json and no body', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
  });
  afterAll(async () => server.stop());

  it('answer as if the header were absent, in every dialect', async () => {
    const headers = { 'content-type': 'application/json' };
    const create = async (path: string, json: object) => (await server.api(path, { method: 'POST', json })).json() as Promise<Record<string, unknown>>;
    const kling = ((await create('/v1/videos/text2video', { model_name: 'kling-v3', prompt: 'a' })) as { data: { task_id: string } }).data.task_id;
    const evo = ((await create('/v1/videos/generations', { model: 'kling-v3-text-to-video', prompt: 'a' })) as { id: string }).id;
    const nov = ((await create('/v3/async/kling-v3.0-std-t2v', { prompt: 'a' })) as { task_id: string }).task_id;
    const oai = ((await create('/v1/videos', { model: 'kling-v3', prompt: 'a', size: '1280x720' })) as { id: string }).id;
    const routes = [
      `/v1/videos/text2video/${kling}`,
      '/v1/videos/text2video?pageNum=1&pageSize=10',
      `/kling/v1/videos/text2video/${kling}`,
      `/v1/tasks/${evo}`,
      `/v3/async/task-result?task_id=${nov}`,
      `/v1/videos/${oai}`,
      '/v1/videos?limit=5',
      `/tasks?task_ids=${kling}`,
    ];
    for (const route of routes) {
      const res = await server.api(route, { headers });
      expect({ route, status: res.status }).toEqual({ route, status: 200 });
    }
  });
});
