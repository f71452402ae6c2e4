/**
 * The Kling simulator as its own process (`reelay sim`, the build), pinned to the load core. In
 * the harness's process it counted requests only when that busy process got to them, so requests
 * Reelay had spaced evenly were counted in bunches after every stall (the engine benchmark's
 * calls/s read 201-216 against a cap of 200). Its own process answers at once and records when
 * each request arrived (--record-arrivals), so the rate it saw is counted exactly. The harness asks only for brief stats while the load runs:
 * a full copy of every task stalled the simulator for ~100 ms and bunched the requests it counted.
 */
import path from 'node:path';
import { parseKlingCreate } from '../../src/dialects/kling/parse-create.ts';
import { createRenderCache } from '../../tools/kling-sim/sim-render-cache.ts';
import type { LoopStall } from '../../tools/kling-sim/sim-loop-stalls.ts';
import type { SimStats, SimTask } from '../../tools/kling-sim/sim-types.ts';
import { LOAD_CORE } from './pinning.ts';
import { freePort, repoRoot, startPinnedServer, type Started } from './processes.ts';

export type SimProcess = Started & {
  /** The counters (without the per-task map: `?brief`), and the simulator's clock when it took them. */
  stats(): Promise<{ at: number; stats: Omit<SimStats, 'acceptedPerExternalId'> }>;
  tasks(): Promise<SimTask[]>;
  /** Each request's arrival time (ms epoch) by route label: create, query, result, … */
  arrivals(): Promise<Record<string, number[]>>;
  /** The simulator's own event-loop pauses over 20 ms (requests arriving in one are stamped late). */
  stalls(): Promise<LoopStall[]>;
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
      '--record-arrivals',
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
      const { body, headers } = await getJson<Omit<SimStats, 'acceptedPerExternalId'>>('/_sim/stats?brief');
      return { at: Number(headers.get('x-sim-clock-ms')), stats: body };
    },
    tasks: async () => (await getJson<SimTask[]>('/_sim/tasks')).body,
    arrivals: async () => (await getJson<Record<string, number[]>>('/_sim/arrivals')).body,
    stalls: async () => (await getJson<LoopStall[]>('/_sim/stalls')).body,
  };
}

/**
 * Renders, before the load, the clip the simulator will serve for tasks created with `body`
 * (its render cache keeps it in `workDir`, which the simulator process then finds). Otherwise
 * the first task to start processing runs ffmpeg on the load core, beside the simulator, for
 * seconds: requests Reelay had spaced evenly then reached the simulator up to 1.1 s late, in a
 * bunch (measured from both sides: Reelay's own spacing held, its event loop never lagged).
 */
export async function warmSimRender(o: Pick<SimProcessOptions, 'workDir' | 'ffmpeg'>, body: unknown): Promise<void> {
  const renders = createRenderCache({ ffmpeg: o.ffmpeg, workDir: o.workDir, onRender: () => {}, log: () => {} });
  try {
    await renders.get(parseKlingCreate(body, { models: ['kling-v3'], kind: 'text2video' }));
  } finally {
    await renders.close();
  }
}
