/**
 * A constant-rate (open-loop) load generator, run in its own pinned process by load.ts: request k
 * is due at start + k / rate, and its latency counts from that moment, not from when it could be
 * sent (no coordinated omission). autocannon's fixed-rate mode sends each second's requests in
 * bursts: measured here, a bare node:http server showed a 113 ms p99 at 1,000 req/s under it.
 * Options as JSON in argv[2]; prints the result as JSON.
 */
import { Pool } from 'undici';

type Options = { url: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; connections: number; durationSeconds: number; rate: number; paths?: string[] };

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const target = new URL(o.url);
const pool = new Pool(target.origin, { connections: o.connections, pipelining: 1 });
const total = Math.round(o.rate * o.durationSeconds);
const latencies: number[] = [];
let non2xx = 0;
let errors = 0;
let bytes = 0;
let sent = 0;
const start = performance.now() + 50;
/** The first half second opens the connections: not counted. */
const WARM_UP_MS = 500;

await new Promise<void>((resolve) => {
  let done = 0;
  const finish = () => {
    done += 1;
    if (done === total) resolve();
  };
  const tick = () => {
    const now = performance.now();
    while (sent < total && start + (sent * 1000) / o.rate <= now) {
      const due = start + (sent * 1000) / o.rate;
      const path = o.paths && o.paths.length > 0 ? (o.paths[sent % o.paths.length] ?? '/') : `${target.pathname}${target.search}`;
      sent += 1;
      pool
        .request({ path, method: o.method, headers: o.headers, ...(o.body !== undefined ? { body: o.body } : {}) })
        .then(async (res) => {
          for await (const chunk of res.body) bytes += (chunk as Buffer).length;
          if (res.statusCode < 200 || res.statusCode >= 300) non2xx += 1;
          if (due - start >= WARM_UP_MS) latencies.push(performance.now() - due);
        })
        .catch(() => {
          errors += 1;
        })
        .finally(finish);
    }
    if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / o.rate - performance.now() - 0.5));
  };
  setTimeout(tick, 50);
});
await pool.close();
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const elapsed = (performance.now() - start - WARM_UP_MS) / 1000;
process.stdout.write(
  JSON.stringify({ requests: { average: latencies.length / elapsed, total: latencies.length }, latency: { p50: at(0.5), p99: at(0.99) }, throughput: { average: bytes / elapsed }, non2xx, errors }),
);
