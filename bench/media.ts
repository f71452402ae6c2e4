/**
 * Media download (issue 8): a 50 MB MP4-sized file from Reelay's disk storage through its signed
 * media link (`/media/<key>?exp=&sig=`), against nginx serving the same file in the same run.
 * Throughput in bytes/s for whole-file GETs and for 1 MiB Range GETs, at a few connections.
 * The file is written straight into `<data dir>/media/` and its link signed with the server's
 * link key (src/secrets.ts + src/media/signed-links.ts), exactly as a task's result link is.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createLinkSigner } from '../src/media/signed-links.ts';
import { loadServerSecrets } from '../src/secrets.ts';
import { MASTER_KEY } from './create.ts';
import { benchDir } from './support/bench-dir.ts';
import { runDownloads, type DownloadResult } from './support/download-load.ts';
import { startNginx } from './support/nginx.ts';
import { startReelay } from './support/processes.ts';
import { fmt, type Row, type Section } from './support/report.ts';

const FILE_BYTES = 50 * 1024 * 1024;
const KEY = 'bench/media-50mb.mp4';
const SECRET = 'bench-server-secret-0123456789abcdef0123456789';
const SLICE = 1024 * 1024;
/** 1 MiB slices all over the file, asked for in turn (players seek with ranges like these). */
const RANGES = Array.from({ length: FILE_BYTES / SLICE }, (_, i) => `bytes=${((i * 17) % 50) * SLICE}-${(((i * 17) % 50) + 1) * SLICE - 1}`);

type Case = { what: string; connections: number; range: boolean };
const CASES: Case[] = [
  { what: 'whole file (50 MB), 1 connection', connections: 1, range: false },
  { what: 'whole file (50 MB), 4 connections', connections: 4, range: false },
  { what: 'Range 1 MiB, 4 connections', connections: 4, range: true },
  { what: 'Range 1 MiB, 16 connections', connections: 16, range: true },
];

async function measure(url: string, seconds: number, content: Buffer): Promise<DownloadResult[]> {
  await checkDownload(url, content, null);
  await checkDownload(url, content, 17);
  await runDownloads({ url, connections: 4, durationSeconds: Math.min(2, seconds), expectBytes: FILE_BYTES }); // warm-up (page cache, JIT)
  const results: DownloadResult[] = [];
  for (const c of CASES) {
    results.push(await runDownloads({ url, connections: c.connections, durationSeconds: seconds, ...(c.range ? { ranges: RANGES, expectBytes: SLICE } : { expectBytes: FILE_BYTES }) }));
  }
  return results;
}

/** One GET, whole or of the 1 MiB slice at `slice` MiB, read to the end: right status and bytes, else the run is void. */
async function checkDownload(url: string, content: Buffer, slice: number | null): Promise<void> {
  const range = slice === null ? null : `bytes=${slice * SLICE}-${(slice + 1) * SLICE - 1}`;
  const res = await fetch(url, range ? { headers: { range } } : {});
  const body = Buffer.from(await res.arrayBuffer());
  const expected = slice === null ? content : content.subarray(slice * SLICE, (slice + 1) * SLICE);
  if (res.status !== (range ? 206 : 200) || !body.equals(expected)) {
    throw new Error(`${url}${range ? ` (${range})` : ''}: ${res.status} with ${body.length} bytes, not the ${expected.length} expected`);
  }
}

export async function benchMedia(seconds: number): Promise<Section> {
  const dir = benchDir('media');
  const dataDir = path.join(dir, 'data');
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ worker: { enabled: false } }));

  // The same bytes for both servers: Reelay's storage key layout, and a plain folder for nginx.
  const content = randomBytes(FILE_BYTES);
  const stored = path.join(dataDir, 'media', ...KEY.split('/'));
  mkdirSync(path.dirname(stored), { recursive: true });
  writeFileSync(stored, content);
  const nginxRoot = path.join(dir, 'nginx-root');
  mkdirSync(nginxRoot, { recursive: true });
  writeFileSync(path.join(nginxRoot, 'media-50mb.mp4'), content);

  const nginx = await startNginx(path.join(dir, 'nginx'), nginxRoot);
  let base: DownloadResult[];
  try {
    base = await measure(`${nginx.url}/media-50mb.mp4`, seconds, content);
  } finally {
    await nginx.stop();
  }

  const env = { REELAY_CONFIG: config, REELAY_MASTER_KEY: MASTER_KEY, REELAY_SECRET: SECRET };
  const reelay = await startReelay(dataDir, env);
  let ours: DownloadResult[];
  let link: string;
  try {
    // The server's own link key, derived from its secret by Reelay's code.
    const secrets = loadServerSecrets(loadConfig({ REELAY_DATA_DIR: dataDir, ...env }));
    link = createLinkSigner({ secret: secrets.linkKey, baseUrl: () => reelay.url, ttlSeconds: 86_400 }).url(KEY);
    ours = await measure(link, seconds, content);
  } finally {
    await reelay.stop();
  }

  const rows: Row[] = CASES.map((c, i) => {
    const b = base[i] as DownloadResult;
    const r = ours[i] as DownloadResult;
    const ratio = r.bytesPerSecond / b.bytesPerSecond;
    return { what: c.what, baseline: fmt.mbps(b.bytesPerSecond), reelay: fmt.mbps(r.bytesPerSecond), ratio: fmt.pct(ratio), target: '≥ 80 % of nginx', met: ratio >= 0.8 };
  });
  const counts = (rs: DownloadResult[]) =>
    CASES.map((c, i) => {
      const r = rs[i] as DownloadResult;
      return `${c.connections}c${c.range ? ' range' : ''}: ${r.requests} (p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms; ${r.non2xx} not 2xx, ${r.wrongLength} of a wrong length, ${r.errors} errors)`;
    }).join('; ');
  return {
    title: 'Media download, 50 MB file, disk storage, whole and Range',
    rows,
    notes: [
      `Requests answered — nginx: ${counts(base)}. Reelay: ${counts(ours)}.`,
      `Range GETs ask for 1 MiB slices at ${RANGES.length} offsets over the file in turn. Reelay's link is a signed /media/ link (HMAC checked per request); nginx serves a static file with sendfile on, one worker; both pinned to the server core.`,
      'Load generator: bench/support/download-runner.ts (node:http, keep-alive, bodies read and discarded) on the load core; bytes count as they arrive. autocannon is not used here: it reads a 50 MB body at a few tens of MB/s, which would measure itself.',
      'The file sits in the page cache for both: this measures the servers, not the disk.',
    ],
  };
}
