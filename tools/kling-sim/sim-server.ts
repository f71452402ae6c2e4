/**
 * The Kling simulator: a real HTTP server on bare node:http (so it can add latency and drop a
 * socket mid-answer) that behaves as the official Kling legacy API (spec §1), with fault
 * injection for testing Reelay's `kling` provider offline. This file wires the parts and owns
 * the server's life; each part has its own file.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimAuth } from './sim-auth.ts';
import { createCallbackSender } from './sim-callbacks.ts';
import { createFaultDice, parseSimFaults } from './sim-faults.ts';
import { createLifecycle } from './sim-lifecycle.ts';
import { watchLoopStalls } from './sim-loop-stalls.ts';
import { mulberry32, randomSeed } from './sim-random.ts';
import { createRenderCache } from './sim-render-cache.ts';
import { createResultLinks } from './sim-result-links.ts';
import { createSimHandler } from './sim-routes.ts';
import { createTaskBook, type TaskRecord } from './sim-task-book.ts';
import { createTaskView } from './sim-task-view.ts';
import type { KlingSim, KlingSimOptions, SimAccount, SimStats, SimTask } from './sim-types.ts';

export type { KlingSim, KlingSimOptions, SimAccount, SimFaults, SimStats, SimTask } from './sim-types.ts';

export const DEFAULT_ACCOUNT: SimAccount = { accessKey: 'sim-access-key', secretKey: 'sim-secret-key', concurrency: 5 };
export const DEFAULT_SCHEDULE = { submittedMs: 1000, processingMs: 5000 } as const;

function emptyStats(): SimStats {
  return {
    createsAccepted: 0,
    duplicateExternalIds: 0,
    acceptedPerExternalId: {},
    maxConcurrent: {},
    concurrencyRefusals: 0,
    injectedErrors: {},
    droppedResponses: 0,
    callbacksSent: 0,
    callbacksLost: 0,
    callbacksFailed: 0,
    requests: {},
    renders: 0,
  };
}

function checkOptions(o: KlingSimOptions): void {
  for (const a of o.accounts ?? []) {
    if (!a.accessKey || !a.secretKey) throw new Error('every sim account needs an accessKey and a secretKey');
    if (!Number.isInteger(a.concurrency) || a.concurrency < 1) throw new Error(`account ${a.accessKey}: concurrency must be a positive integer`);
  }
  const s = o.schedule;
  if (s && !(s.submittedMs >= 0 && s.processingMs >= 0)) throw new Error('schedule times must be non-negative');
}

/** http://host:port for the bound address; a wildcard host is reached on loopback. */
function boundUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Event-loop pauses longer than this are recorded with the arrivals. */
const STALL_MS = 20;

/** A snapshot, so a caller cannot change the simulator's task by editing what it got. */
const snapshot = (record: TaskRecord): SimTask => ({ ...record.task });

export async function startKlingSim(options: KlingSimOptions): Promise<KlingSim> {
  checkOptions(options);
  const log = options.log ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  const stats = emptyStats();
  const dice = createFaultDice(mulberry32(options.seed ?? randomSeed()), parseSimFaults(options.faults ?? {}));
  let baseUrl = options.publicUrl?.replace(/\/+$/, '') ?? '';
  const links = createResultLinks(() => baseUrl);
  const view = createTaskView({ links, dice });
  const book = createTaskBook(stats);
  const callbacks = createCallbackSender({ dice, stats, log });
  const renders = createRenderCache({ ffmpeg: options.ffmpeg, workDir: options.workDir, onRender: () => stats.renders++, log });
  const lifecycle = createLifecycle({
    schedule: options.schedule ?? DEFAULT_SCHEDULE,
    dice,
    renders,
    onEnd: (record) => book.release(record),
    onChange: (record) => {
      log(`task ${record.task.taskId}: ${record.task.status}${record.task.statusMsg ? ` (${record.task.statusMsg})` : ''}`);
      if (record.task.callbackUrl) callbacks.send(record.task.callbackUrl, view.callback(record));
    },
  });
  const auth = createSimAuth(options.accounts ?? [DEFAULT_ACCOUNT]);
  const stalls = options.recordArrivals ? watchLoopStalls(STALL_MS) : null;
  const server = createServer(createSimHandler({ auth, dice, book, lifecycle, view, links, stats, arrivals: options.recordArrivals ? new Map() : null, stalls, log }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = boundUrl(host, (server.address() as AddressInfo).port);
  if (baseUrl === '') baseUrl = url;

  let closing: Promise<void> | null = null;
  return {
    url,
    stats: () => structuredClone(stats),
    task: (idOrExternal) => {
      const record = book.lookup(idOrExternal);
      return record ? snapshot(record) : undefined;
    },
    tasks: () => book.all().map(snapshot),
    setFaults: (faults) => dice.set(parseSimFaults(faults)),
    close() {
      closing ??= (async () => {
        lifecycle.close();
        stalls?.stop();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([stopped, callbacks.close(), renders.close()]);
      })();
      return closing;
    },
  };
}
