/**
 * Status reads with 1,000,000 tasks stored (issue 8): Kling-dialect GET
 * /v1/videos/text2video/{id} over 1,000 different completed tasks in turn, against the bare
 * node:http server in the same run. One real task is rendered, then cloned in SQL to a million
 * rows (each with its own ids), so every read renders a full completed body with signed links.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CREATE_BODY, MASTER_KEY } from './create.ts';
import { benchDir } from './support/bench-dir.ts';
import { runLoad, type LoadResult } from './support/load.ts';
import { startEcho, startMinimalStatus, startReelay } from './support/processes.ts';
import { fmt, type Section } from './support/report.ts';

const TASKS = 1_000_000;
const READ_IDS = 1000;
const headers = { authorization: `Bearer ${MASTER_KEY}` };

/** Renders one task, then clones it until the table holds `TASKS` tasks; returns ids to read. */
async function seed(dataDir: string, config: string): Promise<string[]> {
  const reelay = await startReelay(dataDir, { REELAY_CONFIG: config, REELAY_MASTER_KEY: MASTER_KEY });
  try {
    const res = await fetch(`${reelay.url}/v1/videos/text2video`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: CREATE_BODY });
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    for (const deadline = Date.now() + 120_000; ; ) {
      const read = (await (await fetch(`${reelay.url}/v1/videos/text2video/${id}`, { headers })).json()) as { data: { task_status: string } };
      if (read.data.task_status === 'succeed') break;
      if (read.data.task_status === 'failed' || Date.now() > deadline) throw new Error(`the seed task did not render: ${JSON.stringify(read)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await reelay.stop();
  }
  const db = new SqliteDatabase(path.join(dataDir, 'reelay.db'));
  try {
    const columns = (db.pragma('table_info(tasks)') as Array<{ name: string }>).map((c) => c.name);
    const replaced: Record<string, string> = {
      id: "printf('bench%015d', n.i)",
      public_id: 'printf(\'%018d\', 300000000000000000 + n.i)',
      external_task_id: 'null',
    };
    const select = columns.map((c) => replaced[c] ?? `t.${c}`).join(', ');
    db.exec(`
      with recursive n(i) as (select 1 union all select i + 1 from n where i < ${TASKS - 1})
      insert into tasks (${columns.join(', ')}) select ${select} from n, (select * from tasks limit 1) t`);
    const count = (db.prepare('select count(*) as n from tasks').get() as { n: number }).n;
    if (count !== TASKS) throw new Error(`seeded ${count} tasks, not ${TASKS}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  // Spread over the whole table.
  // BigInt: the ids are beyond a double's exact integers.
  return Array.from({ length: READ_IDS }, (_, k) => `/v1/videos/text2video/${String(300000000000000001n + BigInt(Math.floor((k * (TASKS - 2)) / READ_IDS)))}`);
}

export async function benchStatus(seconds: number): Promise<Section> {
  const dir = benchDir('status');
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ worker: { concurrency: 1 } }));
  const dataDir = path.join(dir, 'data');
  const seededAt = Date.now();
  const paths = await seed(dataDir, config);
  const seedSeconds = (Date.now() - seededAt) / 1000;

  const load = (url: string, withPaths: boolean, rate?: number): Promise<LoadResult> =>
    runLoad({ url, headers, connections: 50, durationSeconds: seconds, ...(withPaths ? { paths } : {}), ...(rate !== undefined ? { rate } : {}) });
  const echo = await startEcho();
  let base: LoadResult;
  let baseAtRate: LoadResult;
  try {
    await load(echo.url, false);
    base = await load(echo.url, false);
    baseAtRate = await load(echo.url, false, 1000);
  } finally {
    await echo.stop();
  }
  const minimal = await startMinimalStatus(path.join(dataDir, 'reelay.db'), MASTER_KEY);
  let reference: LoadResult;
  try {
    await runLoad({ url: minimal.url, headers, connections: 50, durationSeconds: 2, paths });
    reference = await load(minimal.url, true);
  } finally {
    await minimal.stop();
  }
  writeFileSync(config, JSON.stringify({ worker: { enabled: false } }));
  const reelay = await startReelay(dataDir, { REELAY_CONFIG: config, REELAY_MASTER_KEY: MASTER_KEY });
  let full: LoadResult;
  let atRate: LoadResult;
  try {
    await runLoad({ url: reelay.url, headers, connections: 50, durationSeconds: 2, paths });
    full = await load(reelay.url, true);
    atRate = await load(reelay.url, true, 1000);
  } finally {
    await reelay.stop();
  }
  const ratio = full.requestsPerSecond / base.requestsPerSecond;
  return {
    title: `Status GET, Kling dialect, ${TASKS.toLocaleString('en-US')} tasks stored`,
    rows: [
      { what: 'throughput, 50 connections', baseline: fmt.rps(base.requestsPerSecond), reelay: fmt.rps(full.requestsPerSecond), ratio: fmt.pct(ratio), target: '≥ 60 % of baseline', met: ratio >= 0.6 },
      {
        what: 'reference: bare node:http + the same SQLite read + a signed link, no framework (bench/support/minimal-status-server.ts)',
        baseline: fmt.rps(base.requestsPerSecond),
        reelay: fmt.rps(reference.requestsPerSecond),
        ratio: fmt.pct(reference.requestsPerSecond / base.requestsPerSecond),
        target: '— (what the read itself leaves)',
        met: null,
      },
      { what: 'p99 latency at 1,000 req/s', baseline: fmt.ms(baseAtRate.p99Ms), reelay: fmt.ms(atRate.p99Ms), target: '≤ 5 ms', met: atRate.p99Ms <= 5 },
      { what: 'p50 latency at 1,000 req/s', baseline: fmt.ms(baseAtRate.p50Ms), reelay: fmt.ms(atRate.p50Ms), target: '—', met: null },
    ],
    notes: [
      `Reads cycle through ${READ_IDS.toLocaleString('en-US')} completed tasks spread over the table (${full.non2xx} not 2xx at 50 connections, ${atRate.non2xx} at 1,000 req/s). Seeding took ${seedSeconds.toFixed(0)} s.`,
      'The baseline answers a fixed JSON body without reading anything.',
      `The reference row is not Reelay: a bare node:http handler that only compares the key's digest, reads the task with one prepared statement and signs one link (${reference.non2xx} not 2xx). Reelay's read does that and more (key lookup for non-master keys, every dialect's envelope and fields, metrics, request ids), so its rate is bounded by the reference's.`,
    ],
  };
}
