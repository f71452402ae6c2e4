/**
 * The request handler: counts the request under its route label, adds the configured latency,
 * dispatches, and turns any thrown error into a Kling error answer. `/_sim/*` is the control
 * surface (stats, every task, arrival times, faults): no auth, no latency, plain JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseSimFaults } from './sim-faults.ts';
import type { SimDeps } from './sim-deps.ts';
import { KlingSimError } from './sim-errors.ts';
import { readJsonBody, sendJson, sendKlingError, sendText } from './sim-http.ts';
import { sendVideoFile } from './sim-result-file.ts';
import { listTasks, queryTask, createTask } from './sim-task-routes.ts';
import { VIDEO_FILE, WATERMARK_FILE } from './sim-task-view.ts';
import type { SimFaults, SimTaskKind } from './sim-types.ts';

type Route = { label: string; run: () => Promise<void> };

const KIND_PATH = /^\/v1\/videos\/(text2video|image2video)(?:\/([^/]+))?\/?$/;
const RESULT_PATH = /^\/results\/([^/]+)\/([^/]+)$/;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

async function serveResult(deps: SimDeps, req: IncomingMessage, res: ServerResponse, url: URL, taskId: string, file: string): Promise<void> {
  const verdict = deps.links.verify(taskId, file, url.searchParams.get('exp'), url.searchParams.get('sig'));
  if (verdict === 'invalid') return sendText(res, 403, 'Forbidden: invalid signature\n');
  if (verdict === 'expired') return sendText(res, 403, 'Forbidden: URL expired\n');
  const record = deps.book.lookup(taskId);
  const path = file === VIDEO_FILE ? record?.files?.path : file === WATERMARK_FILE ? record?.files?.watermarkPath : null;
  if (!record || record.task.taskId !== taskId || !path) return sendText(res, 404, 'Not Found\n');
  await sendVideoFile(req, res, path);
}

async function putFaults(deps: SimDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let faults: SimFaults;
  try {
    faults = parseSimFaults(await readJsonBody(req));
  } catch (e) {
    return sendJson(res, 400, { error: (e as Error).message });
  }
  deps.dice.set(faults);
  deps.log(`faults replaced: ${JSON.stringify(faults)}`);
  sendJson(res, 200, faults);
}

function route(deps: SimDeps, req: IncomingMessage, res: ServerResponse, url: URL): Route {
  const method = req.method ?? 'GET';
  const kind = KIND_PATH.exec(url.pathname);
  if (kind) {
    const k = kind[1] as SimTaskKind;
    const id = kind[2] === undefined ? undefined : decode(kind[2]);
    if (id === undefined && method === 'POST') return { label: 'create', run: () => createTask(deps, req, res, k) };
    if (id === undefined && method === 'GET') return { label: 'list', run: () => listTasks(deps, req, res, k, url.searchParams) };
    if (typeof id === 'string' && method === 'GET') return { label: 'query', run: () => queryTask(deps, req, res, k, id) };
  }
  const result = RESULT_PATH.exec(url.pathname);
  if (result?.[1] && result[2] && (method === 'GET' || method === 'HEAD')) {
    const taskId = decode(result[1]) ?? '';
    const file = result[2];
    return { label: 'result', run: () => serveResult(deps, req, res, url, taskId, file) };
  }
  if (url.pathname === '/_sim/stats' && method === 'GET') {
    // The simulator's own clock at the snapshot: a client sampling rates over HTTP divides by the
    // time between two snapshots, not between two answers that a busy client may read late.
    return {
      label: 'stats',
      run: async () => {
        res.setHeader('x-sim-clock-ms', String(Date.now()));
        // `?brief` leaves out the one map that grows with every task: a client sampling counters
        // each second must not make the simulator copy 10,000 entries (and stall its answers).
        const { acceptedPerExternalId, ...counters } = deps.stats;
        sendJson(res, 200, url.searchParams.has('brief') ? counters : { ...counters, acceptedPerExternalId });
      },
    };
  }
  if (url.pathname === '/_sim/arrivals' && method === 'GET') {
    return {
      label: 'arrivals',
      run: async () => {
        if (!deps.arrivals) return sendJson(res, 404, { error: 'arrival times are not recorded: start the simulator with --record-arrivals' });
        sendJson(res, 200, Object.fromEntries(deps.arrivals));
      },
    };
  }
  if (url.pathname === '/_sim/stalls' && method === 'GET') {
    return {
      label: 'stalls',
      run: async () => {
        if (!deps.stalls) return sendJson(res, 404, { error: 'pauses are recorded with arrival times: start the simulator with --record-arrivals' });
        sendJson(res, 200, deps.stalls.list());
      },
    };
  }
  if (url.pathname === '/_sim/tasks' && method === 'GET') return { label: 'tasks', run: async () => sendJson(res, 200, deps.book.all().map((record) => record.task)) };
  if (url.pathname === '/_sim/faults' && method === 'PUT') return { label: 'faults', run: () => putFaults(deps, req, res) };
  if (url.pathname === '/_sim/faults' && method === 'GET') return { label: 'faults', run: async () => sendJson(res, 200, deps.dice.current()) };
  return { label: 'unknown', run: () => Promise.reject(new KlingSimError(1202, 'Requested method is invalid')) };
}

export function createSimHandler(deps: SimDeps): (req: IncomingMessage, res: ServerResponse) => void {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const { label, run } = route(deps, req, res, url);
    deps.stats.requests[label] = (deps.stats.requests[label] ?? 0) + 1;
    if (!url.pathname.startsWith('/_sim/')) {
      if (deps.arrivals) {
        let times = deps.arrivals.get(label);
        if (!times) deps.arrivals.set(label, (times = []));
        times.push(Date.now());
      }
      const delay = deps.dice.latencyMs();
      if (delay > 0) await sleep(delay);
    }
    try {
      await run();
    } catch (e) {
      if (res.headersSent || res.destroyed) return;
      if (e instanceof KlingSimError) return sendKlingError(res, e);
      deps.log(`${req.method} ${url.pathname} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      sendKlingError(res, new KlingSimError(5000));
    }
  }
  return (req, res) => {
    void handle(req, res);
  };
}
