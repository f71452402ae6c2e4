import { execFile } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeVideo } from '../../src/media/probe-video.ts';
import { baseEnv, cliArgs, repoRoot } from '../support/child-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, cliArgs(...args), { cwd: repoRoot, env: { ...baseEnv(), ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('reelay CLI', () => {
  let server: TestServer;
  const tmp = tempDir('reelay-cli-');
  beforeAll(async () => {
    server = await startTestServer();
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
      const r = await cli(['generate', 'a doomed clip', '--duration', '3', '--out', out, '--url', failing.url, '--key', failing.masterKey]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/failed: preview render failed: ffmpeg exited with code 1[\s\S]*simulated encoder crash/);
      expect(existsSync(out)).toBe(false);
    } finally {
      await failing.stop();
    }
  });

  it('keys create / list / revoke print JSON and work on the same data dir as the server', async () => {
    const env = { REELAY_DATA_DIR: tmp.dir };
    const created = await cli(['keys', 'create', '--name', 'from-cli'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as Record<string, string>;
    expect(Object.keys(key).sort()).toEqual(['access_key', 'id', 'key', 'name', 'secret_key', 'webhook_secret']);
    const listed = JSON.parse((await cli(['keys', 'list'], env)).stdout) as Array<Record<string, unknown>>;
    expect(listed.map((k) => k.id)).toContain(key.id);
    expect(JSON.stringify(listed)).not.toContain(key.key);
    expect(JSON.stringify(listed)).not.toContain(key.webhook_secret);
    const revoked = await cli(['keys', 'revoke', key.id as string], env);
    expect(JSON.parse(revoked.stdout)).toEqual({ id: key.id, revoked: true });
    const again = await cli(['keys', 'revoke', key.id as string], env);
    expect(again.code).toBe(1);
  });
});
