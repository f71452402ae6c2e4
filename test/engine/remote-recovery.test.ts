/**
 * The engine's recovery paths against a scripted Kling-like upstream (a real HTTP server on
 * 127.0.0.1 that answers in a set order): a submit whose answer was lost, a lookup that misses the
 * task, a resubmit refused because the task does exist, and finally the task found and collected.
 * Also: tasks routed under a config that no longer has their channel still end.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalId, klingTaskId } from '../../src/domain/ids.ts';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { createTaskRepository } from '../../src/store/task-repository.ts';
import { ROUTE_PENDING } from '../../src/store/upstream-tasks.ts';
import { startTestServer, waitForKlingTask, type TestServer } from '../support/server.ts';
import { tempDir } from '../support/temp-dir.ts';
import { videoRequest } from '../support/video-request.ts';

type Script = { posts: number; lookups: number; video: Buffer };

function answer(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The upstream's story: the first submit is accepted but its answer lost, the first lookup misses it. */
function scriptedKling(script: Script, base: () => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && url.pathname === '/v1/videos/text2video') {
        script.posts += 1;
        if (script.posts === 1) return req.socket.destroy();
        return answer(res, 400, { code: 1201, message: 'external_task_id already exists', request_id: 'r' });
      }
      if (url.pathname === '/video.mp4') return res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': script.video.length }).end(script.video);
      const id = url.pathname.split('/').pop() ?? '';
      if (id === 'up-1') {
        return answer(res, 200, { code: 0, message: 'SUCCEED', request_id: 'r', data: { task_id: 'up-1', task_status: 'succeed', task_status_msg: '', final_unit_deduction: '1.8', task_result: { videos: [{ id: 'v', url: `${base()}/video.mp4`, duration: '3.0' }] }, created_at: 1, updated_at: 2 } });
      }
      script.lookups += 1;
      if (script.lookups === 1) return answer(res, 404, { code: 1203, message: 'Requested resource does not exist', request_id: 'r' });
      return answer(res, 200, { code: 0, message: 'SUCCEED', request_id: 'r', data: { task_id: 'up-1', task_status: 'processing', created_at: 1, updated_at: 2 } });
    });
  };
}

describe('recovering a submit whose answer was lost', () => {
  const tmp = tempDir('reelay-recovery-');
  const script: Script = { posts: 0, lookups: 0, video: Buffer.alloc(0) };
  let upstreamUrl = '';
  const upstream = createServer(scriptedKling(script, () => upstreamUrl));
  let reelay: TestServer;
  let key: string;

  beforeAll(async () => {
    const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
    const file = path.join(tmp.dir, 'clip.mp4');
    execFileSync(ffmpeg.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=3:size=320x240:rate=24', '-pix_fmt', 'yuv420p', file]);
    script.video = readFileSync(file);
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    reelay = await startTestServer({
      configFile: {
        channels: [
          { name: 'dead', provider: 'kling', base_url: 'http://127.0.0.1:1', access_key: 'a', secret_key: 's', priority: 9 },
          { name: 'scripted', provider: 'kling', base_url: upstreamUrl, access_key: 'a', secret_key: 's', expected_render_seconds: 0.2, poll_interval_seconds: 0.2, max_poll_interval_seconds: 0.5 },
        ],
      },
    });
    key = (await reelay.createKey('c')).key;
  });
  afterAll(async () => {
    await reelay?.stop();
    upstream.closeAllConnections();
    upstream.close();
    tmp.remove();
  });

  it('fails over from an unreachable channel, then finds the task instead of failing it on the duplicate refusal', async () => {
    const res = await reelay.api('/v1/videos/text2video', { method: 'POST', key, json: { model_name: 'kling-v3', prompt: 'recover me', duration: '3' } });
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const data = await waitForKlingTask(reelay, `/v1/videos/text2video/${id}`, key, 30_000);
    expect(data.task_status).toBe('succeed');
    expect(data.final_unit_deduction).toBe('1.8');
    // Submitted, answer lost; looked up (miss); resubmitted (refused: it exists); looked up (found).
    expect(script.posts).toBe(2);
    expect(script.lookups).toBe(2);
    const row = await reelay.db.kysely.selectFrom('tasks').select(['provider', 'upstream_id']).where('public_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ provider: 'scripted', upstream_id: 'up-1' });
    const { channels } = (await (await reelay.api('/admin/channels')).json()) as { channels: Array<{ name: string; healthy: boolean; recent_errors: Array<{ class: string; code: string }> }> };
    const dead = channels.find((c) => c.name === 'dead');
    expect(dead?.healthy).toBe(false);
    expect(dead?.recent_errors[0]).toMatchObject({ class: 'channel', code: 'ECONNREFUSED' });
  });
});

describe('tasks routed to channels that are no longer configured', () => {
  let reelay: TestServer;
  beforeAll(async () => {
    reelay = await startTestServer({ configFile: { worker: { pollMilliseconds: 100 } } });
  });
  afterAll(async () => reelay?.stop());

  it('renders a task still waiting for routing locally, and fails one tied to a removed channel', async () => {
    const tasks = createTaskRepository(reelay.db.kysely, reelay.db.kind);
    const now = Date.now();
    const routed = await tasks.insert({ id: internalId(now), publicId: klingTaskId(now), keyId: 'k', dialect: 'kling', kind: 'text2video', request: videoRequest({ duration: 3 }), provider: ROUTE_PENDING, now });
    const tied = await tasks.insert({ id: internalId(now + 1), publicId: klingTaskId(now + 1), keyId: 'k', dialect: 'kling', kind: 'text2video', request: videoRequest({ duration: 3 }), provider: 'gone', now });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [a, b] = await Promise.all([tasks.get(routed.id), tasks.get(tied.id)]);
      if (a?.status === 'completed' && b?.status === 'failed') {
        expect(a.provider).toBe('preview');
        expect(b.failure).toEqual({ code: 'provider_unavailable', message: "the task's upstream channel gone is no longer configured" });
        return;
      }
      if (Date.now() > deadline) throw new Error(`still ${a?.status} / ${b?.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
