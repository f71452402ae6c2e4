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
import { renderApimartTask } from './apimart/render-task.ts';
import { renderEvolinkTask } from './evolink/render-task.ts';
import { renderKlingNewTask } from './kling-new/render-task.ts';
import { renderKlingTask } from './kling/render-task.ts';
import { renderNovitaTask } from './novita/render-task.ts';
import { renderOpenAiVideo } from './openai/render-video.ts';

export type CallbackMedia = {
  /** A storage key -> a signed, expiring Reelay link. */
  url: (key: string) => string;
  /** Seconds a link minted now stays valid. */
  ttlSeconds: number;
};

type Render = (task: Task, media: CallbackMedia) => unknown;

/** Dialects that call back on every status change, by the `dialect` value their routes store. */
const EVERY_CHANGE: Readonly<Record<string, Render>> = {
  kling: (task, media) => renderKlingTask(task, media.url),
  newapi: (task, media) => renderKlingTask(task, media.url),
  'kling-new': (task, media) => renderKlingNewTask(task, media.url),
};

/** Dialects that call back only once the task has ended. */
const TERMINAL_ONLY: Readonly<Record<string, Render>> = {
  evolink: (task, media) => renderEvolinkTask(task, media.url),
  apimart: (task, media) => renderApimartTask(task, media),
  novita: (task, media) => renderNovitaTask(task, { mediaUrl: media.url, mediaTtlSeconds: media.ttlSeconds }),
  openai: (task, media) => renderOpenAiVideo(task, { mediaTtlSeconds: media.ttlSeconds }),
};

/** The JSON body for the task's current status, or null when its dialect sends nothing for it. */
export function renderCallbackBody(task: Task, media: CallbackMedia): string | null {
  if (task.status === 'queued') return null;
  const everyChange = Object.hasOwn(EVERY_CHANGE, task.dialect) ? EVERY_CHANGE[task.dialect] : undefined;
  if (everyChange) return JSON.stringify(everyChange(task, media));
  const terminalOnly = Object.hasOwn(TERMINAL_ONLY, task.dialect) ? TERMINAL_ONLY[task.dialect] : undefined;
  if (terminalOnly && isTerminal(task.status)) return JSON.stringify(terminalOnly(task, media));
  return null;
}
