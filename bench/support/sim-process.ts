/**
 * The Kling simulator as its own process (`reelay sim`, the build), pinned to the load core. In
 * the harness's process it counted requests only when that busy process got to them, so requests
 * Reelay had spaced evenly were counted in bunches after every stall (the engine benchmark's
 * calls/s read 201-216 against a cap of 200). Its own process answers at once, and stamps each
 * stats snapshot with its own clock.
 */
import path from 'node:path';
import type { SimStats, SimTask } from '../../tools/kling-sim/sim-types.ts';
import { LOAD_CORE } from './pinning.ts';
import { freePort, repoRoot, startPinnedServer, type Started } from './processes.ts';

export type SimProcess = Started & {
  /** The counters, and the simulator's clock when it took them. */
  stats(): Promise<{ at: number; stats: SimStats }>;
  tasks(): Promise<SimTask[]>;
};

export type SimProcessOptions = {
  workDir: string;
  accessKey: string;
  secretKey: string;
  concurrency: number;
  submittedMs: number;
  processingMs: number;
  ffmpeg: string;
};

export async function startSimProcess(o: SimProcessOptions): Promise<SimProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = await startPinnedServer({
    executable: process.execPath,
    args: [
      path.join(repoRoot, 'dist/src/cli/main.js'),
      'sim',
      '--quiet',
      ...['--port', String(port), '--access-key', o.accessKey, '--secret-key', o.secretKey, '--concurrency', String(o.concurrency)],
      ...['--submitted-ms', String(o.submittedMs), '--processing-ms', String(o.processingMs), '--work-dir', o.workDir, '--ffmpeg', o.ffmpeg],
    ],
    url,
    readyPath: '/_sim/stats',
    core: LOAD_CORE,
  });
  const getJson = async <T>(pathname: string): Promise<{ body: T; headers: Headers }> => {
    const res = await fetch(`${url}${pathname}`);
    if (!res.ok) throw new Error(`GET ${pathname}: HTTP ${res.status}`);
    return { body: (await res.json()) as T, headers: res.headers };
  };
  return {
    ...started,
    async stats() {
      const { body, headers } = await getJson<SimStats>('/_sim/stats');
      return { at: Number(headers.get('x-sim-clock-ms')), stats: body };
    },
    tasks: async () => (await getJson<SimTask[]>('/_sim/tasks')).body,
  };
}
