/** Persist first: the task row is committed before anyone is told about it, then workers wake. */
import { internalId } from '../domain/ids.ts';
import type { Task, TaskKind } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';
import type { TaskRepository } from '../store/task-repository.ts';
import type { Wakeup } from './wakeup.ts';

export type CreateTaskInput = {
  keyId: string;
  dialect: string;
  kind: TaskKind;
  publicId: string;
  request: VideoRequest;
};

export type TaskCreator = (input: CreateTaskInput) => Promise<Task>;

/** `providerFor` picks the upstream for a model (every model: `preview` until routing exists). */
export function createTaskCreator(deps: {
  tasks: TaskRepository;
  wakeup: Wakeup;
  providerFor: (model: string) => string;
  now: () => number;
}): TaskCreator {
  return async (input) => {
    const now = deps.now();
    const task = await deps.tasks.insert({ ...input, id: internalId(now), provider: deps.providerFor(input.request.model), now });
    deps.wakeup.notify();
    return task;
  };
}
