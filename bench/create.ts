/**
 * Durable creates (issue 8): Kling-dialect POST /v1/videos/text2video on SQLite in WAL mode with
 * synchronous=FULL, each answer sent only after its commit, against a bare node:http JSON echo
 * server in the same run. Throughput at 50 connections, then latency at a fixed 1,000 req/s.
 * The worker is off (worker.enabled false) so renders do not share the server's core.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runLoad, type LoadResult } from './support/load.ts';
import { startEcho, startReelay } from './support/processes.ts';
import { fmt, type Section } from './support/report.ts';
import { benchDir } from './support/bench-dir.ts';

export const MASTER_KEY = 'bench-master-key-0123456789abcdef';
export const CREATE_BODY = JSON.stringify({ model_name: 'kling-v3', prompt: 'a lighthouse at dusk, waves breaking', duration: '5', mode: 'std', aspect_ratio: '16:9' });
const headers = { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' };

export async function reelayApiOnly(name: string): Promise<{ dir: string; config: string }> {
  const dir = benchDir(name);
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ worker: { enabled: false }, sqlite: { synchronous: 'FULL' } }));
  return { dir, config };
}

export async function benchCreate(seconds: number): Promise<Section> {
  const load = (url: string, rate?: number): Promise<LoadResult> =>
    runLoad({ url, method: 'POST', headers, body: CREATE_BODY, connections: 50, durationSeconds: seconds, ...(rate !== undefined ? { rate } : {}) });

  const echo = await startEcho();
  let base: LoadResult;
  let baseAtRate: LoadResult;
  try {
    await load(echo.url, undefined); // warm-up
    base = await load(echo.url);
    baseAtRate = await load(echo.url, 1000);
  } finally {
    await echo.stop();
  }

  const { dir, config } = await reelayApiOnly('create');
  const reelay = await startReelay(path.join(dir, 'data'), { REELAY_CONFIG: config, REELAY_MASTER_KEY: MASTER_KEY });
  let full: LoadResult;
  let atRate: LoadResult;
  try {
    const url = `${reelay.url}/v1/videos/text2video`;
    await runLoad({ url, method: 'POST', headers, body: CREATE_BODY, connections: 50, durationSeconds: 2 }); // warm-up
    full = await load(url);
    atRate = await load(url, 1000);
  } finally {
    await reelay.stop();
  }
  const ratio = full.requestsPerSecond / base.requestsPerSecond;
  return {
    title: 'Create, Kling dialect, durable (SQLite WAL, synchronous=FULL, answer after commit)',
    rows: [
      { what: 'throughput, 50 connections', baseline: fmt.rps(base.requestsPerSecond), reelay: fmt.rps(full.requestsPerSecond), ratio: fmt.pct(ratio), target: '≥ 25 % of baseline', met: ratio >= 0.25 },
      { what: 'p99 latency at 1,000 req/s', baseline: fmt.ms(baseAtRate.p99Ms), reelay: fmt.ms(atRate.p99Ms), target: '≤ 20 ms', met: atRate.p99Ms <= 20 },
      { what: 'p50 latency at 1,000 req/s', baseline: fmt.ms(baseAtRate.p50Ms), reelay: fmt.ms(atRate.p50Ms), target: '—', met: null },
    ],
    notes: [
      `Reelay answered ${full.requests.toLocaleString('en-US')} creates (${full.non2xx} not 2xx, ${full.errors} errors) at 50 connections; at 1,000 req/s, ${atRate.requests.toLocaleString('en-US')} (${atRate.non2xx} not 2xx).`,
      'Concurrent creates share one transaction and one fsync (group commit, src/store/group-commit.ts); each answer still waits for its commit.',
    ],
  };
}
