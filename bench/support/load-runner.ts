/**
 * The load generator's own process (pinned by load.ts): autocannon with the options given as JSON
 * in argv[2], cycling through `paths` when given; prints autocannon's result as JSON.
 */
import autocannon from 'autocannon';

type Options = {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  rate?: number;
  paths?: string[];
};

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
let next = 0;
const paths = o.paths;
const result = await autocannon({
  url: o.url,
  method: o.method,
  headers: o.headers,
  ...(o.body !== undefined ? { body: o.body } : {}),
  connections: o.connections,
  duration: o.durationSeconds,
  ...(o.rate !== undefined ? { overallRate: o.rate } : {}),
  ...(paths && paths.length > 0
    ? {
        requests: [
          {
            setupRequest: (req: autocannon.Request) => ({ ...req, path: paths[next++ % paths.length] ?? '/' }),
          },
        ],
      }
    : {}),
});
process.stdout.write(JSON.stringify({ requests: result.requests, latency: result.latency, throughput: result.throughput, non2xx: result.non2xx, errors: result.errors }));
