import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeVideo } from '../../src/media/probe-video.ts';
import { runCli } from '../support/child-server.ts';
import { parseRequestJson } from '../../src/store/task-rows.ts';
import { startTestServer, waitForKlingTask, type TestServer } from '../support/server.ts';
import { tempDir } from '../support/temp-dir.ts';

const cli = runCli;

/** The request a task stored (the Kling routes do not show it). */
async function storedRequest(server: TestServer, publicId: string) {
  const row = await server.db.kysely.selectFrom('tasks').select(['kind', 'request']).where('public_id', '=', publicId).executeTakeFirstOrThrow();
  return { kind: row.kind, request: parseRequestJson(row.request) };
}

/** How many text2video tasks the master key has. */
async function text2videoCount(server: TestServer): Promise<number> {
  const res = await server.api('/v1/videos/text2video?pageNum=1&pageSize=500');
  return ((await res.json()) as { data: unknown[] }).data.length;
}

/** Serves one PNG on 127.0.0.1 (the preview provider fetches a URL frame). */
function servePng(png: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
    res.end(png);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/first.png`,
        close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))),
      }),
    ),
  );
}

describe('reelay CLI', () => {
  let server: TestServer;
  const tmp = tempDir('reelay-cli-');
  beforeAll(async () => {
    // Private URLs allowed: the --image URL case serves its PNG from 127.0.0.1.
    server = await startTestServer({ env: { REELAY_ALLOW_PRIVATE_URLS: 'true' } });
  });
  afterAll(async () => {
    await server.stop();
    tmp.remove();
  });

  it('generate waits, downloads a playable MP4 and says where it is', async () => {
    const out = path.join(tmp.dir, 'clip.mp4');
    const r = await cli(['generate', 'a golden retriever running on a beach', '--duration', '3', '--mode', 'std', '--aspect', '16:9', '--sound', '--out', out, '--url', server.url, '--key', server.masterKey]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/saved .*clip\.mp4/);
    expect(r.stderr).toMatch(/task \d{18}: (submitted|processing|succeed)/);
    const probe = await probeVideo(server.ffmpeg.ffprobe, out);
    expect(probe).toMatchObject({ width: 1280, height: 720, hasAudio: true });
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
  });

  it('generate exits non-zero with the reason when the request is refused', async () => {
    const r = await cli(['generate', 'x', '--duration', '99', '--url', server.url, '--key', server.masterKey]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/duration must be an integer between 3 and 15 \(code 1201, HTTP 400\)/);
  });

  it('generate exits non-zero with the failure reason when the task fails', async () => {
    const broken = path.join(tmp.dir, 'broken-ffmpeg');
    writeFileSync(broken, '#!/bin/sh\necho "simulated encoder crash" >&2\nexit 1\n');
    chmodSync(broken, 0o755);
    const failing = await startTestServer({ env: { FFMPEG_PATH: broken } });
    try {
      const out = path.join(tmp.dir, 'never.mp4');
      const conn = ['--url', failing.url, '--key', failing.masterKey];
      const [r, json] = await Promise.all([
        cli(['generate', 'a doomed clip', '--duration', '3', '--out', out, ...conn]),
        cli(['generate', 'a doomed clip', '--duration', '3', '--json', '--out', out, ...conn]),
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/failed: preview render failed: ffmpeg exited with code 1[\s\S]*simulated encoder crash/);
      expect(existsSync(out)).toBe(false);
      expect(json.code).toBe(1);
      const failed = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(failed).toMatchObject({ task_id: expect.stringMatching(/^\d{18}$/), kind: 'text2video', status: 'failed', model: 'kling-v3', duration: 3, video: null });
      expect(failed.message).toMatch(/^preview render failed: ffmpeg exited with code 1[\s\S]*simulated encoder crash/);
    } finally {
      await failing.stop();
    }
  });

  it('generate --shots makes a multi-shot task, --json prints one object; a sum that is not --duration, or a bad file, is refused before any request; --help shows each example', async () => {
    const shots = path.join(tmp.dir, 'shots.json');
    writeFileSync(shots, JSON.stringify([{ prompt: 'a door creaks open', duration: 1 }, { prompt: 'a cat walks in', duration: 2 }]));
    const notJson = path.join(tmp.dir, 'not-json.json');
    writeFileSync(notJson, '[{"prompt": "a",');
    const out = path.join(tmp.dir, 'story.mp4');
    const conn = ['--url', server.url, '--key', server.masterKey];
    const before = await text2videoCount(server);
    const [ok, mismatch, bad, missing, help] = await Promise.all([
      cli(['generate', '--shots', shots, '--aspect', '1:1', '--json', '--out', out, ...conn]),
      cli(['generate', '--shots', shots, '--duration', '5', ...conn]),
      cli(['generate', '--shots', notJson, ...conn]),
      cli(['generate', '--shots', path.join(tmp.dir, 'nowhere.json'), ...conn]),
      cli(['generate', '--help']),
    ]);

    expect(ok.code, ok.stderr).toBe(0);
    const result = JSON.parse(ok.stdout) as { task_id: string; status: string; model: string; duration: number; video: { url: string; duration_seconds: number; file: string; bytes: number } };
    expect(result).toMatchObject({ task_id: expect.stringMatching(/^\d{18}$/), kind: 'text2video', status: 'completed', model: 'kling-v3', duration: 3, video: { duration_seconds: 3, file: out } });
    expect(result.video.url).toMatch(/^http/);
    expect(statSync(out).size).toBe(result.video.bytes);
    const probe = await probeVideo(server.ffmpeg.ffprobe, out);
    expect(probe).toMatchObject({ width: 720, height: 720 });
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    expect((await storedRequest(server, result.task_id)).request).toMatchObject({
      multiShot: 'customize',
      duration: 3,
      prompt: '',
      shots: [{ index: 1, prompt: 'a door creaks open', duration: 1 }, { index: 2, prompt: 'a cat walks in', duration: 2 }],
    });

    expect(mismatch).toMatchObject({ code: 1, stdout: '' });
    expect(mismatch.stderr).toContain('--duration 5 does not match the shots, which add up to 3 s');
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toContain(`--shots ${notJson}: not valid JSON`);
    expect(missing.stderr).toContain('nowhere.json: cannot read it (no such file)');
    for (const r of [bad, missing]) expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await text2videoCount(server)).toBe(before + 1);

    expect(help.code).toBe(0);
    for (const example of [/reelay generate "a golden retriever/, /reelay generate --shots shots\.json/, /--image first\.png/, /--json > result\.json/]) expect(help.stdout).toMatch(example);
  });

  it('generate --image sends a local PNG as base64 or a URL as is, to image2video', async () => {
    const png = path.join(tmp.dir, 'first.png');
    await promisify(execFile)(server.ffmpeg.ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=red:s=640x360', '-frames:v', '1', png]);
    const bytes = readFileSync(png);
    const images = await servePng(bytes);
    try {
      const conn = ['--url', server.url, '--key', server.masterKey];
      const fileOut = path.join(tmp.dir, 'from-file.mp4');
      const [fromFile, fromUrl] = await Promise.all([
        cli(['generate', 'the balloon rises', '--image', png, '--duration', '3', '--out', fileOut, ...conn]),
        cli(['generate', '--image', images.url, '--duration', '3', '--json', '--out', path.join(tmp.dir, 'from-url.mp4'), ...conn]),
      ]);
      expect(fromFile.code, fromFile.stderr).toBe(0);
      expect(fromFile.stdout).toMatch(/saved .*from-file\.mp4/);
      const fileTask = /task (\d{18})/.exec(fromFile.stderr)?.[1] as string;
      expect(await storedRequest(server, fileTask)).toMatchObject({ kind: 'image2video', request: { prompt: 'the balloon rises', firstFrame: bytes.toString('base64'), lastFrame: null } });
      expect(Math.abs((await probeVideo(server.ffmpeg.ffprobe, fileOut)).durationSeconds - 3)).toBeLessThanOrEqual(0.1);

      expect(fromUrl.code, fromUrl.stderr).toBe(0);
      const result = JSON.parse(fromUrl.stdout) as { task_id: string; kind: string; status: string };
      expect(result).toMatchObject({ kind: 'image2video', status: 'completed' });
      expect(await storedRequest(server, result.task_id)).toMatchObject({ kind: 'image2video', request: { prompt: '', firstFrame: images.url } });
      const polled = await server.api(`/v1/videos/image2video/${result.task_id}`);
      expect(((await polled.json()) as { data: { task_status: string } }).data.task_status).toBe('succeed');
    } finally {
      await images.close();
    }
  });

  it('keys create / list / revoke print JSON and work on the same data dir as the server', async () => {
    const env = { REELAY_DATA_DIR: tmp.dir };
    const created = await cli(['keys', 'create', '--name', 'from-cli'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as Record<string, string>;
    expect(key).toMatchObject({ name: 'from-cli', budget_credits: null, rpm: null, models: null, expires_at: null, spent_credits: 0 });
    expect(Object.keys(key)).toEqual(expect.arrayContaining(['access_key', 'id', 'key', 'secret_key', 'webhook_secret']));
    const listed = JSON.parse((await cli(['keys', 'list'], env)).stdout) as Array<Record<string, unknown>>;
    expect(listed.map((k) => k.id)).toContain(key.id);
    expect(JSON.stringify(listed)).not.toContain(key.key);
    expect(JSON.stringify(listed)).not.toContain(key.webhook_secret);
    const revoked = await cli(['keys', 'revoke', key.id as string], env);
    expect(JSON.parse(revoked.stdout)).toEqual({ id: key.id, revoked: true });
    const again = await cli(['keys', 'revoke', key.id as string], env);
    expect(again.code).toBe(1);
  });

  it('keys create takes every limit, shown as the admin API shows them', async () => {
    const env = { REELAY_DATA_DIR: tmp.dir };
    const limits = ['--budget', '12.5', '--rpm', '30', '--max-concurrency', '2', '--models', 'kling-v3, kling-v3-turbo', '--expires-at', '2030-01-01T02:00:00+02:00'];
    const created = await cli(['keys', 'create', '--name', 'limited', ...limits, '--webhook-url', 'https://example.com/hook'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as Record<string, unknown>;
    const view = {
      name: 'limited',
      budget_credits: 12.5,
      rpm: 30,
      max_concurrency: 2,
      models: ['kling-v3', 'kling-v3-turbo'],
      expires_at: '2030-01-01T00:00:00.000Z',
      webhook_url: 'https://example.com/hook',
      remaining_credits: 12.5,
    };
    expect(key).toMatchObject(view);
    expect(key.key).toMatch(/^rl_/);
    const listed = JSON.parse((await cli(['keys', 'list'], env)).stdout) as Array<Record<string, unknown>>;
    expect(listed.find((k) => k.id === key.id)).toMatchObject(view);
  });

  it('keys create and update refuse a bad option with the API\'s words, on stderr, exit 1', async () => {
    const env = { REELAY_DATA_DIR: tmp.dir };
    const cases: Array<[string[], string]> = [
      [['--budget', '5x'], '--budget: budget_credits must be a number of credits, or null for unlimited'],
      [['--rpm', '0'], '--rpm: rpm must be at least 1'],
      [['--max-concurrency', '1.5'], '--max-concurrency: max_concurrency must be a whole number'],
      [['--models', 'kling-v3,kling-v9'], '--models: models: "kling-v9" is not served here (served: kling-v3, kling-v3-turbo)'],
      [['--expires-at', '2030-01-01'], '--expires-at: expires_at must be an RFC 3339 date-time'],
      [['--webhook-url', 'http://127.0.0.1/hook'], '--webhook-url: webhook_url must use https, not http'],
    ];
    const runs = await Promise.all(cases.map(([options]) => cli(['keys', 'create', '--name', 'refused', ...options], env)));
    runs.forEach((r, i) => {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(cases[i]?.[1]);
      expect(r.stdout).toBe('');
    });
    const listed = JSON.parse((await cli(['keys', 'list'], env)).stdout) as Array<{ name: string }>;
    expect(listed.map((k) => k.name)).not.toContain('refused');
    const update = await cli(['keys', 'update', 'key_nobody', '--rpm', '0'], env);
    expect(update).toMatchObject({ code: 1, stderr: expect.stringContaining('--rpm: rpm must be at least 1') });
  });

  it('keys update sets the limits it names, and "unlimited", "all", "never" clear them', async () => {
    const env = { REELAY_DATA_DIR: tmp.dir };
    const id = (JSON.parse((await cli(['keys', 'create', '--name', 'changing', '--budget', '5'], env)).stdout) as { id: string }).id;
    const set = await cli(['keys', 'update', id, '--rpm', '10', '--models', 'kling-v3-turbo', '--expires-at', '2031-06-01T00:00:00Z'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ id, budget_credits: 5, rpm: 10, models: ['kling-v3-turbo'], expires_at: '2031-06-01T00:00:00.000Z' });
    const cleared = await cli(['keys', 'update', id, '--budget', 'unlimited', '--rpm', 'unlimited', '--models', 'all', '--expires-at', 'never'], env);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ id, budget_credits: null, rpm: null, models: null, expires_at: null, remaining_credits: null });
    const nothing = await cli(['keys', 'update', id], env);
    expect(nothing).toMatchObject({ code: 1, stderr: expect.stringMatching(/give at least one of --budget/) });
    const missing = await cli(['keys', 'update', 'key_nobody', '--rpm', '5'], env);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('key key_nobody does not exist or is revoked') });
  });

  it('usage reports a finished task from the server\'s database, as a table or as JSON', async () => {
    const env = { REELAY_DATA_DIR: server.dataDir };
    const key = JSON.parse((await cli(['keys', 'create', '--name', 'usage-cli', '--budget', '10'], env)).stdout) as { id: string; key: string };
    const res = await server.api('/v1/videos/text2video', { method: 'POST', key: key.key, json: { prompt: 'a cat', duration: '5' } });
    const taskId = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    expect((await waitForKlingTask(server, `/v1/videos/text2video/${taskId}`, key.key)).task_status).toBe('succeed');

    const json = await cli(['usage', '--key', key.id, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const counts = { credits_held: 3, credits_captured: 3, credits_released: 0, tasks_created: 1, tasks_completed: 1, tasks_failed: 0, tasks_canceled: 0, tasks_refunded: 0 };
    expect(JSON.parse(json.stdout)).toMatchObject({ key: key.id, rows: [{ key_id: key.id, key_name: 'usage-cli', model: 'kling-v3', tier: 'std', ...counts }], totals: counts });

    const table = await cli(['usage', '--key', key.id], env);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^day\s+key\s+name\s+model\s+tier\s+captured\s+held\s+released\s+created\s+completed\s+failed\s+canceled\s+refunded$/);
    expect(lines[2]).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}\\s+${key.id}\\s+usage-cli\\s+kling-v3\\s+std\\s+3\\s+3\\s+0\\s+1\\s+1\\s+0\\s+0\\s+0$`));
    expect(lines[3]).toMatch(/^total\s+3\s+3\s+0\s+1\s+1\s+0\s+0\s+0$/);

    const bad = await cli(['usage', '--from', 'last week'], env);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/^from must be an RFC 3339 date-time/) });
  });
});
