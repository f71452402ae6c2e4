/**
 * A task as the dialect that created it shows it on its query route, without the Kling envelope:
 * the one table of "dialect -> renderer" that callbacks, server-sent events and cancel answers
 * share. Keys are the `dialect` values the create routes store.
 */
import type { Task } from '../domain/task.ts';
import { renderApimartTask } from './apimart/render-task.ts';
import { renderEvolinkTask } from './evolink/render-task.ts';
import { renderKlingNewTask } from './kling-new/render-task.ts';
import { renderKlingTask } from './kling/render-task.ts';
import { renderNovitaTask } from './novita/render-task.ts';
import { renderOpenAiVideo } from './openai/render-video.ts';

export type TaskMedia = {
  /** A storage key -> a signed, expiring Reelay link. */
  url: (key: string) => string;
  /** Seconds a link minted now stays valid. */
  ttlSeconds: number;
};

type Render = (task: Task, media: TaskMedia) => unknown;

const TASK_BODIES: Readonly<Record<string, Render>> = {
  kling: (task, media) => renderKlingTask(task, media.url),
  newapi: (task, media) => renderKlingTask(task, media.url),
  'kling-new': (task, media) => renderKlingNewTask(task, media.url),
  evolink: (task, media) => renderEvolinkTask(task, media.url),
  apimart: (task, media) => renderApimartTask(task, media),
  novita: (task, media) => renderNovitaTask(task, { mediaUrl: media.url, mediaTtlSeconds: media.ttlSeconds }),
  openai: (task, media) => renderOpenAiVideo(task, { mediaTtlSeconds: media.ttlSeconds }),
};

export function hasTaskBody(dialect: string): boolean {
  return Object.hasOwn(TASK_BODIES, dialect);
}

/** The task's query body in its dialect; throws for a dialect no route creates. */
export function renderTaskBody(task: Task, media: TaskMedia): unknown {
  const render = Object.hasOwn(TASK_BODIES, task.dialect) ? TASK_BODIES[task.dialect] : undefined;
  if (!render) throw new Error(`no renderer for dialect ${task.dialect}`);
  return render(task, media);
}
