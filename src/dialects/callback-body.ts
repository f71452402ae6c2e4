/**
 * What a client's callback URL receives when its task changes status, in the dialect the task was
 * created through:
 * - Kling legacy and the new-api passthrough (`kling`, `newapi`): the legacy callback payload,
 *   the query's `data` object without the envelope (spec §1.7), on every status change.
 * - Kling new design (`kling-new`): the §1.11 task object, which is its callback payload (§1.7),
 *   on every status change.
 * - EvoLink: the `GET /v1/tasks/{id}` body, only once the task is completed, failed or cancelled
 *   (spec §2.4).
 * - APIMart, Novita, OpenAI: no callback of their own is documented; a key's default webhook URL
 *   gets their query body once the task has ended [I].
 * A task still queued owes nothing: the create answer already said so.
 */
import { isTerminal, type Task } from '../domain/task.ts';
import { hasTaskBody, renderTaskBody, type TaskMedia } from './task-body.ts';

export type CallbackMedia = TaskMedia;

/** Dialects that call back on every status change (the others only once the task has ended). */
const EVERY_CHANGE: readonly string[] = ['kling', 'newapi', 'kling-new'];

/** The JSON body for the task's current status, or null when its dialect sends nothing for it. */
export function renderCallbackBody(task: Task, media: CallbackMedia): string | null {
  if (task.status === 'queued' || !hasTaskBody(task.dialect)) return null;
  if (!EVERY_CHANGE.includes(task.dialect) && !isTerminal(task.status)) return null;
  return JSON.stringify(renderTaskBody(task, media));
}
