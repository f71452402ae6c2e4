import type { Task } from '../../domain/task.ts';

/**
 * Why a task ended, for the dialects whose status words have no cancel (Kling, the new design,
 * Novita): a canceled task reads as failed, and this says which it was. '' while it is not over
 * or when it succeeded.
 */
export function endedMessage(task: Task): string {
  if (task.status === 'failed') return task.failure?.message ?? 'the task failed';
  if (task.status === 'canceled') return 'the task was canceled';
  return '';
}
