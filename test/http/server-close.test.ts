import { expect, it } from 'vitest';
import { startTestServer, waitForKlingTask } from '../support/server.ts';

it('stops at once after a client downloaded a video over a keep-alive connection', async () => {
  const server = await startTestServer();
  const key = (await server.createKey('c')).key;
  const res = await server.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: 'a quick one', duration: '3' } });
  const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
  const data = await waitForKlingTask(server, `/v1/videos/text2video/${id}`, key, 30_000);
  const url = (data.task_result as { videos: Array<{ url: string }> }).videos[0]?.url ?? '';
  const download = await fetch(url);
  expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  const started = Date.now();
  await server.stop();
  // Before the fix this took the 65 s keep-alive timeout.
  expect(Date.now() - started).toBeLessThan(5000);
});
