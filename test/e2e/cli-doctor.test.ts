import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { startKlingSim, type KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { freePort, runCli } from '../support/child-server.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { SIM_ACCESS_KEY, SIM_SECRET_KEY } from '../support/kling-sim-server.ts';
import { tempDir } from '../support/temp-dir.ts';

const cli = runCli;

type Report = { ok: boolean; checks: Array<{ name: string; status: string; detail: string }> };

describe('reelay doctor', () => {
  let server: TestServer;
  let sim: KlingSim;
  let s3: TestS3Server;
  const tmp = tempDir('reelay-doctor-');
  beforeAll(async () => {
    const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null }).ffmpeg;
    [server, sim, s3] = await Promise.all([startTestServer(), startKlingSim({ ffmpeg, workDir: tmp.dir }), startS3Server('reelay-doctor')]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), sim?.close(), s3?.stop()]);
    tmp.remove();
  });

  it('passes every check on a working setup: one ok line each, exit 0', async () => {
    const r = await cli(['doctor'], { REELAY_DATA_DIR: server.dataDir, REELAY_PUBLIC_URL: server.url });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual([
      ['ok', 'ffmpeg'],
      ['ok', 'ffprobe'],
      ['ok', 'database'],
      ['ok', 'storage'],
      ['ok', 'public url'],
    ]);
    expect(r.stdout).toMatch(/^ok\s+ffmpeg\s+\/\S+ \((env|path|bundled)\): ffmpeg version \S+/m);
    expect(r.stdout).toMatch(/^ok\s+database\s+sqlite in .* answers$/m);
    expect(r.stdout).toMatch(/^ok\s+storage\s+disk .*\/media: wrote, read and deleted a probe object$/m);
    expect(r.stdout).toContain(`${server.url}/healthz (REELAY_PUBLIC_URL) answers ok`);
  });

  it('checks channel credentials (kling: a task list; others: not checked) and S3 storage, as JSON', async () => {
    const config = path.join(tmp.dir, 'channels.json');
    const kling = { provider: 'kling', base_url: sim.url, access_key: SIM_ACCESS_KEY };
    writeFileSync(
      config,
      JSON.stringify({
        channels: [
          { name: 'good', ...kling, secret_key: SIM_SECRET_KEY },
          { name: 'wrong-secret', ...kling, secret_key: 'not-the-secret' },
          { name: 'evo', provider: 'evolink', base_url: 'https://evolink.example', api_key: 'sk-test' },
        ],
      }),
    );
    const dataDir = path.join(tmp.dir, 'data');
    const r = await cli(['doctor', '--json'], { REELAY_DATA_DIR: dataDir, REELAY_CONFIG: config, REELAY_PUBLIC_URL: server.url, ...s3.env() });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ok).toBe(false);
    const by = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(by['storage']).toMatchObject({ status: 'ok', detail: expect.stringContaining(`s3 bucket ${s3.bucket} at ${s3.endpoint}`) });
    expect(by['channel good']).toMatchObject({ status: 'ok', detail: expect.stringContaining('credentials accepted') });
    expect(by['channel wrong-secret']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/refused the credentials: HTTP 401/) });
    expect(by['channel evo']).toMatchObject({ status: 'skip', detail: expect.stringContaining('not checked') });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['channel wrong-secret']);
  });

  it('fails what is broken, with the reason, exit 1', async () => {
    const closed = await freePort();
    const r = await cli(['doctor'], {
      REELAY_DATA_DIR: path.join(tmp.dir, 'broken'),
      FFMPEG_PATH: '/nonexistent/ffmpeg',
      REELAY_PUBLIC_URL: `http://127.0.0.1:${closed}`,
      DATABASE_URL: `postgres://nobody:secret@127.0.0.1:${closed}/none`,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fail\s+ffmpeg\s+FFMPEG_PATH=\/nonexistent\/ffmpeg is not an executable file$/m);
    expect(r.stdout).toMatch(/^fail\s+database\s+postgres at 127\.0\.0\.1:\d+\/none: .*ECONNREFUSED/m);
    expect(r.stdout).not.toContain('secret@');
    expect(r.stdout).toMatch(new RegExp(`^fail\\s+public url\\s+http://127\\.0\\.0\\.1:${closed}/healthz \\(REELAY_PUBLIC_URL\\) is unreachable: .*ECONNREFUSED`, 'm'));
    expect(r.stdout).toMatch(/^ok\s+storage/m);
  });
});
