/**
 * How an attempt ends a task whose work is done when the client may have asked to cancel it
 * (rules: src/engine/cancel-task.ts). A cancel request discards the result: the task ends
 * `canceled`, its stored videos are deleted, and whether (and what) the upstream charged is kept
 * for billing. `charge` is null for renders that cost nothing upstream (the local preview).
 * `complete` succeeds only without a request and `cancel` only with one, so a request that arrives
 * between the last check and the write still wins or still loses as a whole, never half.
 */
import type { Logger } from 'pino';
import type { Task, TaskResult, TaskStatus } from '../domain/task.ts';
import type { Storage } from '../media/storage.ts';
import type { TaskRepository, UpstreamCharge } from '../store/task-repository.ts';

export type FinishDeps = { tasks: TaskRepository; storage: Storage; log: Logger; now: () => number };
export type LeasedTask = { task: Task; token: string };

/** running -> completed, or canceled (result deleted) when the client asked to cancel meanwhile. */
export async function completeUnlessCanceled(deps: FinishDeps, leased: LeasedTask, result: TaskResult, charge: UpstreamCharge | null): Promise<void> {
  const { task, token } = leased;
  if (await deps.tasks.complete(task.id, token, result, charge?.units ?? null, deps.now())) return;
  if (await cancelIfRequested(deps, leased, 'running', charge)) {
    const keys = result.videos.flatMap((v) => (v.watermarkKey ? [v.key, v.watermarkKey] : [v.key]));
    for (const key of keys) {
      await deps.storage.delete(key).catch((e: unknown) => deps.log.warn({ err: e, taskId: task.id, key }, 'could not delete the video of a canceled task'));
    }
    return;
  }
  deps.log.warn({ taskId: task.id }, 'lease lost before completion; result discarded');
}

/** Ends the task canceled when the client asked for it (and the lease is still mine); false otherwise. */
export async function cancelIfRequested(deps: FinishDeps, leased: LeasedTask, from: TaskStatus, charge: UpstreamCharge | null): Promise<boolean> {
  const ended = await deps.tasks.cancel(leased.task.id, leased.token, from, charge, deps.now());
  if (ended) deps.log.info({ taskId: leased.task.id, upstreamCharged: charge !== null, units: charge?.units }, 'the client canceled the task; its result is discarded');
  return ended;
}
