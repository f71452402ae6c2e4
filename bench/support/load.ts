/**
 * Runs autocannon (a devDependency) in its own process, pinned to the load core, and reads its
 * result: throughput at a number of connections (autocannon), or latency at a fixed request rate
 * (rate-runner.ts).
 */
import path from 'node:path';
import { LOAD_CORE } from './pinning.ts';
import { runPinnedJson } from './pinned-json.ts';

export type LoadResult = { requestsPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number; errors: number; requests: number; bytesPerSecond: number };

export type LoadOptions = {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  /** A fixed total request rate (req/s); absent = as fast as the connections go. */
  rate?: number;
  /** Paths requested in turn (absent: the URL's own). */
  paths?: string[];
};

const RUNNER = path.resolve(import.meta.dirname, 'load-runner.ts');
/** A fixed rate goes to our own open-loop generator (see rate-runner.ts for why not autocannon's). */
const RATE_RUNNER = path.resolve(import.meta.dirname, 'rate-runner.ts');

type AutocannonJson = {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
};

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const options = { method: 'GET', headers: {}, ...o };
  const r = await runPinnedJson<AutocannonJson>(LOAD_CORE, o.rate !== undefined ? RATE_RUNNER : RUNNER, options, 'the load generator');
  return {
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    requests: r.requests.total,
    bytesPerSecond: r.throughput.average,
  };
}
