/** Reelay as a separate process (`reelay serve`), so a test can kill -9 it and start it again. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const cliEntry = path.join(repoRoot, 'src/cli/main.ts');

/** Runs the CLI from source through tsx, as `npx reelay` runs the built one. */
export function cliArgs(...args: string[]): string[] {
  return ['--import', 'tsx', cliEntry, ...args];
}

/** The test process's environment without Reelay's own settings, so a developer's shell cannot leak in. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(REELAY_|DATABASE_URL$|HOST$|PORT$|FFMPEG_PATH$|FFPROBE_PATH$|LOG_LEVEL$)/.test(name)) delete env[name];
  }
  return env;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export type ChildServer = { process: ChildProcess; url: string; output: () => string };

export async function startChildServer(env: Record<string, string>, timeoutMs = 30_000): Promise<ChildServer> {
  const child = spawn(process.execPath, cliArgs('serve'), { cwd: repoRoot, env: { ...baseEnv(), LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`reelay serve exited ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) return { process: child, url, output: () => output };
    if (Date.now() > deadline) throw new Error(`reelay serve did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Runs `reelay <args>` to its end; a failure is an exit code, not a throw. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, cliArgs(...args), { cwd: repoRoot, env: { ...baseEnv(), ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
