/** `reelay sim`: its help lists every option, and it serves until told to stop. */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, cliArgs, freePort, killHard, repoRoot } from '../support/child-server.ts';
import type { KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { tempDir } from '../support/temp-dir.ts';
import { SHORT_BODY, createTask, waitFor } from './sim-helpers.ts';

const run = promisify(execFile);

/** The test's environment without KLING_SIM_* settings, so a developer's shell cannot leak in. */
function simEnv(): NodeJS.ProcessEnv {
  const env = baseEnv();
  for (const name of Object.keys(env)) if (name.startsWith('KLING_SIM_')) delete env[name];
  return env;
}

describe('reelay sim', () => {
  const tmp = tempDir('kling-sim-cli-');
  afterAll(() => tmp.remove());

  it('--help lists every option with its environment variable', async () => {
    const { stdout } = await run(process.execPath, cliArgs('sim', '--help'), { cwd: repoRoot, env: simEnv() });
    const options = ['host', 'port', 'access-key', 'secret-key', 'concurrency', 'submitted-ms', 'processing-ms', 'error-rate', 'latency-ms', 'drop-rate', 'lost-callback-rate', 'failure-rate', 'url-ttl', 'seed', 'work-dir', 'quiet', 'record-arrivals'];
    for (const name of options) {
      expect(stdout).toContain(`--${name}`);
      expect(stdout.replace(/\s+/g, ' ')).toContain(`KLING_SIM_${name.toUpperCase().replaceAll('-', '_')}`);
    }
  });

  it('refuses a bad fault option with the reason', async () => {
    const failed = await run(process.execPath, cliArgs('sim', '--error-rate', '9999=1'), { cwd: repoRoot, env: simEnv() }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/9999 is not a Kling error code/);
  });

  /** Starts `reelay sim` on a free port, runs `check` against it, then stops it with SIGTERM (expecting exit 0). */
  async function withSim(env: NodeJS.ProcessEnv, check: (url: string, output: () => string) => Promise<void>): Promise<void> {
    const port = await freePort();
    const child = spawn(process.execPath, cliArgs('sim', '--port', String(port), '--work-dir', tmp.dir), {
      cwd: repoRoot,
      env: { ...simEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      while (!output.includes(`listening on ${url}`)) {
        if (child.exitCode !== null) throw new Error(`reelay sim exited ${child.exitCode}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`reelay sim printed no URL:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 100));
      await check(url, () => output);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      await killHard(child);
    }
  }

  it('starts, prints its URL and a channel config, serves /_sim/stats and stops on SIGTERM', async () => {
    await withSim({ KLING_SIM_CONCURRENCY: '7' }, async (url, output) => {
      expect(output()).toContain(`"base_url": "${url}"`);
      expect(output()).toContain('"max_concurrency": 7');
      const stats = (await (await fetch(`${url}/_sim/stats`)).json()) as Record<string, unknown>;
      expect(stats).toMatchObject({ createsAccepted: 0, requests: { stats: 1 } });
    });
  });

  it("logs each task's status changes, unless --quiet", async () => {
    const created = async (url: string) => createTask({ url } as KlingSim, SHORT_BODY);
    await withSim({}, async (url, output) => {
      const id = await created(url);
      await waitFor('the submit logged', () => output().includes(`task ${id}: submitted`));
    });
    await withSim({ KLING_SIM_QUIET: 'true' }, async (url, output) => {
      await created(url);
      await new Promise((r) => setTimeout(r, 300));
      expect(output()).not.toMatch(/task \S+: submitted/);
    });
  });
});
