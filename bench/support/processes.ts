/** Child processes for benchmarks: Reelay (`reelay serve`) and the baseline, pinned to the server core. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../test/support/child-server.ts';
import { SERVER_CORE, pinned } from './pinning.ts';

export { freePort };

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export type Proc = { url: string; child: ChildProcess; stop(): Promise<void>; rssBytes(): number | null };

export type Started = Proc & { /** The last 20,000 characters the process wrote. */ output(): string };

/**
 * Starts `executable args` pinned to the server core (or `core`) and resolves once `readyUrl`
 * answers below 500 (nginx, Reelay, the baseline and the simulator all start this way).
 */
export async function startPinnedServer(o: { executable: string; args: string[]; env?: Record<string, string>; url: string; readyPath: string; core?: number }): Promise<Started> {
  const { command, args } = pinned(o.core ?? SERVER_CORE, o.executable, o.args);
  const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  for (const deadline = Date.now() + 60_000; ; ) {
    if (child.exitCode !== null) throw new Error(`${o.executable} exited ${child.exitCode}:\n${output}`);
    if (await fetch(`${o.url}${o.readyPath}`).then((r) => (void r.body?.cancel(), r.status < 500), () => false)) break;
    if (Date.now() > deadline) throw new Error(`not ready: ${o.url}\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: o.url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
    rssBytes: () => rssOf(child.pid),
    output: () => output,
  };
}

/** Resident memory of a process, from /proc (Linux); null elsewhere. */
export function rssOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

export async function startEcho(): Promise<Proc> {
  const port = await freePort();
  return startPinnedServer({ executable: process.execPath, args: ['--import', 'tsx', path.join(repoRoot, 'bench/support/echo-server.ts'), String(port)], url: `http://127.0.0.1:${port}`, readyPath: '/' });
}

/** The status benchmark's reference (see minimal-status-server.ts), on Reelay's database file. */
export async function startMinimalStatus(dbFile: string, masterKey: string): Promise<Proc> {
  const port = await freePort();
  const server = path.join(repoRoot, 'bench/support/minimal-status-server.ts');
  return startPinnedServer({ executable: process.execPath, args: ['--import', 'tsx', server, String(port), dbFile, masterKey], url: `http://127.0.0.1:${port}`, readyPath: '/' });
}

function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`] : [];
}

/**
 * `reelay serve` (the built one) on its own data dir. With `publicUrl`, REELAY_PUBLIC_URL names its own address
 * (chosen before the start), so an upstream such as the Kling simulator can call it back.
 */
export async function startReelay(dataDir: string, env: Record<string, string> = {}, options: { publicUrl?: boolean } = {}): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startPinnedServer({
    executable: process.execPath,
    // The build, as `npm start` runs it (bench/run.ts builds first): no transpiler in the process.
    // BENCH_PROFILE_DIR=dir writes a V8 CPU profile of each Reelay run there (open it in Chrome's DevTools).
    args: [...profileArgs(), path.join(repoRoot, 'dist/src/cli/main.js'), 'serve'],
    env: { ...env, HOST: '127.0.0.1', PORT: String(port), REELAY_DATA_DIR: dataDir, ...(options.publicUrl ? { REELAY_PUBLIC_URL: url } : {}) },
    url,
    readyPath: '/readyz',
  });
}
