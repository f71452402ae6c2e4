/**
 * The load generator for large downloads, in its own process (pinned by download-load.ts):
 * `connections` keep-alive connections each GET the URL in a loop for `durationSeconds`, reading
 * and discarding the body, optionally with a Range header taken in turn from `ranges`. Prints
 * JSON: requests, bytes, bytes/s, latency (to the last byte) p50/p99, non-2xx, errors.
 * autocannon reads a 50 MB body at a few tens of MB/s (it, not the server, is then the limit),
 * so media downloads use this instead. Bytes count as they arrive within the time; requests
 * and latencies only when whole; the requests still running when the time is up are cut.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

type Options = { url: string; connections: number; durationSeconds: number; ranges?: string[]; expectBytes: number };
const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const target = new URL(o.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections, maxFreeSockets: o.connections });

let requests = 0;
let bytes = 0;
let non2xx = 0;
let errors = 0;
let wrongLength = 0;
let nextRange = 0;
const latencies: number[] = [];
const started = performance.now();
const endAt = started + o.durationSeconds * 1000;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const range = o.ranges && o.ranges.length > 0 ? o.ranges[nextRange++ % o.ranges.length] : undefined;
    const t0 = performance.now();
    let cutting = false;
    const req = http.get({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, agent, headers: range ? { range } : {} }, (res) => {
      let got = 0;
      res.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (performance.now() <= endAt) bytes += chunk.length;
      });
      res.on('end', () => {
        const t1 = performance.now();
        if (t1 <= endAt) {
          requests++;
          latencies.push(t1 - t0);
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
          else if (got !== o.expectBytes) wrongLength++;
        }
        resolve();
      });
      res.on('error', () => {
        if (!cutting) errors++;
        resolve();
      });
    });
    req.on('error', () => {
      if (!cutting) errors++;
      resolve();
    });
    // Cut what runs past the end.
    const cut = setTimeout(() => {
      cutting = true;
      req.destroy();
      resolve();
    }, Math.max(0, endAt - performance.now()) + 1);
    req.on('close', () => clearTimeout(cut));
  });
}

await Promise.all(
  Array.from({ length: o.connections }, async () => {
    while (performance.now() < endAt) await once();
  }),
);
const seconds = (Math.min(performance.now(), endAt) - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? 0;
agent.destroy();
process.stdout.write(JSON.stringify({ requests, bytes, bytesPerSecond: bytes / seconds, p50Ms: pct(50), p99Ms: pct(99), non2xx, errors, wrongLength }));
