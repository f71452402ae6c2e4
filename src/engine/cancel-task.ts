/**
 * Cancel (issue 5): `POST /v1/tasks/{id}/cancel`. The rules, in the order they are tried:
 *
 * 1. A queued task nothing was sent upstream for (a local render not started, or a remote task
 *    with no upstream id and no submit begun) is canceled at once: `canceled`, never due again,
 *    its lease cleared, so a worker that holds it fails its next compare-and-swap and stops. It
 *    cost nothing, so billing (issue 6) is to release its whole hold.
 * 2. A task already submitted upstream, or running, is marked (`cancel_requested_at`) and keeps
 *    going; where the engine would complete it, it ends `canceled` and the result is discarded
 *    (the client asked not to have it). A local render stops early, at the worker's next lease
 *    renewal (every third of the lease). Kling has no upstream cancel (spec §1.6), so a remote
 *    task runs to its end upstream and is paid there: the canceled task keeps `units_charged`,
 *    what the upstream charged, for billing to decide the refund. A task that fails meanwhile
 *    stays `failed`.
 * 3. A task already completed, failed or canceled is not changed (the route answers 409). Asking
 *    again while a cancel is pending changes nothing and answers the task again.
 */
import { AppError } from '../domain/errors.ts';
import { isTerminal, type Task } from '../domain/task.ts';
import type { TaskCancels } from '../store/task-cancel.ts';
import type { TaskRepository } from '../store/task-repository.ts';
import type { TaskEvents } from './task-events.ts';

/** `canceled`: ended now (rule 1); `requested`: ends canceled later (rule 2); `ended`: was over already (rule 3). */
export type CancelOutcome = { outcome: 'canceled' | 'requested' | 'ended'; task: Task };

export type TaskCanceler = (task: Task) => Promise<CancelOutcome>;

export function createTaskCanceler(deps: { tasks: TaskRepository; cancels: TaskCancels; events: TaskEvents; now: () => number }): TaskCanceler {
  return async (task) => {
    if (isTerminal(task.status)) return { outcome: 'ended', task };
    const now = deps.now();
    let outcome: CancelOutcome['outcome'] | null = null;
    if (await deps.cancels.cancelQueued(task.id, task.keyId, now)) outcome = 'canceled';
    else if (await deps.cancels.requestCancel(task.id, task.keyId, now)) outcome = 'requested';
    if (outcome) deps.events.notify(task.id);
    // The store is the truth: neither write won when the task ended meanwhile or was marked before.
    const current = await deps.tasks.get(task.id);
    if (!current) throw new AppError('task_not_found', `task ${task.publicId} does not exist`, { field: 'task_id' });
    return { outcome: outcome ?? (isTerminal(current.status) ? 'ended' : 'requested'), task: current };
  };
}
