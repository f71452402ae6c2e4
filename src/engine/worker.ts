/**
 * The worker loop inside the server process: lease due tasks up to the concurrency limit, work on
 * each, renew its lease while it works. A task whose worker died becomes due when the lease
 * expires, so a restart resumes it; the lease token keeps two workers from both finishing it.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Task } from '../domain/task.ts';
import type { Provider } from '../providers/provider.ts';
import type { TaskRepository } from '../store/task-repository.ts';
import { runLocalTask, type LocalTaskDeps } from './run-local-task.ts';
import type { Wakeup } from './wakeup.ts';

export type WorkerOptions = {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  maxAttempts: number;
};

export type WorkerDeps = LocalTaskDeps & {
  tasks: TaskRepository;
  providers: ReadonlyMap<string, Provider>;
  wakeup: Wakeup;
};

export type Worker = {
  start(): void;
  /** Stops claiming, aborts running attempts and hands their tasks back at once. */
  stop(): Promise<void>;
  /** Number of tasks being worked on now. */
  readonly busy: number;
};

export function createWorker(deps: WorkerDeps, options: WorkerOptions): Worker {
  const workerId = randomBytes(4).toString('hex');
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping = false;
  let loop: Promise<void> | null = null;

  async function claimLoop(): Promise<void> {
    while (!stopping) {
      const free = options.concurrency - running.size;
      let claimed: Task[] = [];
      if (free > 0) {
        const token = `${workerId}.${randomBytes(8).toString('hex')}`;
        try {
          claimed = await deps.tasks.claimDue(deps.now(), free, options.leaseMs, token);
        } catch (e) {
          deps.log.error({ err: e }, 'claiming tasks failed');
        }
        for (const task of claimed) begin(task, token);
      }
      if (claimed.length === 0 || running.size >= options.concurrency) await deps.wakeup.wait(options.pollMs);
    }
  }

  function begin(task: Task, token: string): void {
    const controller = new AbortController();
    const done = attempt(task, token, controller)
      .catch((e: unknown) => deps.log.error({ err: e, taskId: task.id }, 'task attempt crashed'))
      .finally(() => {
        running.delete(task.id);
        deps.wakeup.notify();
      });
    running.set(task.id, { controller, done });
  }

  async function attempt(task: Task, token: string, controller: AbortController): Promise<void> {
    const from = task.status;
    if (task.attempts > options.maxAttempts) {
      await deps.tasks.fail(task.id, token, from, { code: 'worker_lost', message: `the task was interrupted ${task.attempts - 1} times and was given up` }, deps.now());
      return;
    }
    const provider = deps.providers.get(task.provider);
    if (!provider) {
      await deps.tasks.fail(task.id, token, from, { code: 'provider_unavailable', message: `provider ${task.provider} is not configured` }, deps.now());
      return;
    }
    const heartbeat = setInterval(() => {
      deps.tasks
        .renewLease(task.id, token, deps.now() + options.leaseMs)
        .then((kept) => {
          if (!kept) controller.abort(new Error('lease lost'));
        })
        .catch((e: unknown) => deps.log.warn({ err: e, taskId: task.id }, 'lease renewal failed'));
    }, Math.max(1000, Math.floor(options.leaseMs / 3)));
    try {
      await runLocalTask(deps, provider, { task, token, signal: controller.signal });
      if (controller.signal.aborted && stopping) {
        // Hand the task back so the next start (or another instance) picks it up at once.
        const current = await deps.tasks.get(task.id);
        if (current && (current.status === 'queued' || current.status === 'running')) {
          await deps.tasks.defer(task.id, token, current.status, deps.now(), deps.now());
        }
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
      for (const { controller } of running.values()) controller.abort(new Error('shutting down'));
      await Promise.allSettled([loop, ...[...running.values()].map((r) => r.done)]);
    },
    get busy() {
      return running.size;
    },
  };
}
