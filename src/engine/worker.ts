/**
 * The worker loop inside the server process: lease due tasks up to the concurrency limit, work on
 * each, renew its lease while it works. A task whose worker died becomes due when the lease
 * expires, so a restart resumes it; the lease token keeps two workers from both finishing it.
 */
import { randomBytes } from 'node:crypto';
import type { Task, TaskStatus } from '../domain/task.ts';
import type { Provider } from '../providers/provider.ts';
import { LOCAL_PROVIDER, type TaskRepository } from '../store/task-repository.ts';
import type { RemoteTaskDeps } from './remote/remote-attempt.ts';
import { runRemoteTask } from './remote/run-remote-task.ts';
import { runLocalTask, type LocalTaskDeps } from './run-local-task.ts';
import type { Wakeup } from './wakeup.ts';

export type WorkerOptions = {
  /** Local renders at once (CPU-bound). */
  concurrency: number;
  /** Remote tasks worked on at once (submits, checks, downloads: I/O-bound). */
  remoteConcurrency: number;
  leaseMs: number;
  pollMs: number;
  maxAttempts: number;
};

export type WorkerDeps = LocalTaskDeps & {
  tasks: TaskRepository;
  providers: ReadonlyMap<string, Provider>;
  wakeup: Wakeup;
  /** Remote channels (the server always passes them, with or without channels; absent in some tests). */
  remote?: RemoteTaskDeps | undefined;
};

export type Worker = {
  start(): void;
  /** Stops claiming, aborts running attempts and hands their tasks back at once. */
  stop(): Promise<void>;
  /** Number of tasks being worked on now. */
  readonly busy: number;
};

type RunningAttempt = { taskId: string; pool: 'local' | 'remote'; controller: AbortController; done: Promise<void> };

const poolOf = (task: Task): 'local' | 'remote' => (task.provider === LOCAL_PROVIDER ? 'local' : 'remote');

export function createWorker(deps: WorkerDeps, options: WorkerOptions): Worker {
  const workerId = randomBytes(4).toString('hex');
  // Keyed by lease token, not task id: if this process lost a lease and claimed the same task
  // again, the stale attempt must not be mistaken for (or clean up after) the new one.
  const running = new Map<string, RunningAttempt>();
  let stopping = false;
  let loop: Promise<void> | null = null;

  const busyIn = (pool: 'local' | 'remote') => [...running.values()].filter((r) => r.pool === pool).length;

  async function claim(pool: 'local' | 'remote', free: number): Promise<number> {
    if (free <= 0) return 0;
    const token = `${workerId}.${randomBytes(8).toString('hex')}`;
    let claimed: Task[] = [];
    try {
      claimed = await deps.tasks.claimDue(deps.now(), free, options.leaseMs, token, pool);
    } catch (e) {
      deps.log.error({ err: e }, 'claiming tasks failed');
    }
    for (const task of claimed) {
      if (stopping) await handBack(task.id, token, task.status);
      else begin(task, token);
    }
    return claimed.length;
  }

  async function claimLoop(): Promise<void> {
    while (!stopping) {
      const localFree = options.concurrency - busyIn('local');
      // Always claimed, even with no channel configured: a task routed while channels existed must
      // still end (on the local renderer or failed), never sit queued forever.
      const remoteFree = options.remoteConcurrency - busyIn('remote');
      const local = await claim('local', localFree);
      const remote = await claim('remote', remoteFree);
      // Straight on only when a pool took all it had room for (more may be due). Otherwise sleep
      // until new work is announced (a notify during the claims counts) or the next poll: a claim
      // that finds nothing is a write like any other.
      const filled = (localFree > 0 && local === localFree) || (remoteFree > 0 && remote === remoteFree);
      if (!filled) await deps.wakeup.wait(options.pollMs);
    }
  }

  async function handBack(taskId: string, token: string, status: TaskStatus): Promise<void> {
    await deps.tasks.defer(taskId, token, status, deps.now(), deps.now()).catch((e: unknown) => deps.log.warn({ err: e, taskId }, 'hand-back failed; the lease will expire'));
  }

  function begin(task: Task, token: string): void {
    for (const other of running.values()) {
      if (other.taskId === task.id) other.controller.abort(new Error('lease lost'));
    }
    const controller = new AbortController();
    const done = attempt(task, token, controller)
      .catch((e: unknown) => deps.log.error({ err: e, taskId: task.id }, 'task attempt crashed'))
      .finally(() => {
        running.delete(token);
        deps.wakeup.notify();
        // Every attempt that changed the task (status, progress, its end) ends here: watchers re-read it.
        deps.events?.notify(task.id);
      });
    running.set(token, { taskId: task.id, pool: poolOf(task), controller, done });
  }

  async function attempt(task: Task, token: string, controller: AbortController): Promise<void> {
    const from = task.status;
    if (task.attempts > options.maxAttempts) {
      const message = `the task was interrupted ${task.attempts - 1} times and was given up`;
      await deps.tasks.fail(task.id, token, from, { code: 'worker_lost', message }, deps.now());
      return;
    }
    const provider = poolOf(task) === 'local' ? deps.providers.get(task.provider) : undefined;
    if (poolOf(task) === 'local' && !provider) {
      await deps.tasks.fail(task.id, token, from, { code: 'provider_unavailable', message: `provider ${task.provider} is not configured` }, deps.now());
      return;
    }
    const heartbeat = setInterval(() => {
      deps.tasks
        .renewLease(task.id, token, deps.now() + options.leaseMs)
        .then((lease) => {
          if (lease === 'lost') controller.abort(new Error('lease lost'));
          // A local render stops early for a cancel request and ends canceled (runLocalTask); a
          // remote attempt is a short check and discards the result itself when it would complete.
          if (lease === 'cancel_requested' && poolOf(task) === 'local') controller.abort(new Error('cancel requested'));
        })
        .catch((e: unknown) => deps.log.warn({ err: e, taskId: task.id }, 'lease renewal failed'));
    }, Math.max(1000, Math.floor(options.leaseMs / 3)));
    try {
      if (provider) await runLocalTask(deps, provider, { task, token, signal: controller.signal });
      else if (deps.remote) await runRemoteTask(deps.remote, { task, token, signal: controller.signal });
      else await deps.tasks.fail(task.id, token, from, { code: 'provider_unavailable', message: 'no upstream channels are configured' }, deps.now());
      if (controller.signal.aborted && stopping) {
        // Hand the task back so the next start (or another instance) picks it up at once.
        const current = await deps.tasks.get(task.id);
        if (current && (current.status === 'queued' || current.status === 'running')) await handBack(task.id, token, current.status);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  return {
    start() {
      if (!loop) loop = claimLoop();
    },
    async stop() {
      stopping = true;
      deps.wakeup.notify();
      // The loop first: a claim in flight must finish (and hand its tasks back) before the rest.
      await loop;
      for (const { controller } of running.values()) controller.abort(new Error('shutting down'));
      await Promise.allSettled([...running.values()].map((r) => r.done));
    },
    get busy() {
      return running.size;
    },
  };
}
