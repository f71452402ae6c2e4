/**
 * A task as the dialect that created it shows it on its own query route, for the routes every
 * dialect shares (server-sent events, cancel): the same body a GET of the task answers, and the
 * dialect's error envelope.
 */
import { apimartError } from '../dialects/apimart/envelope.ts';
import { evolinkError } from '../dialects/evolink/envelope.ts';
import { klingError, klingSuccess } from '../dialects/kling/envelope.ts';
import { renderKlingEnvelope } from '../dialects/kling/flavors.ts';
import { novitaError } from '../dialects/novita/envelope.ts';
import { openAiError } from '../dialects/openai/envelope.ts';
import { renderTaskBody, type TaskMedia } from '../dialects/task-body.ts';
import type { Task } from '../domain/task.ts';
import { KLING_NEW_DIALECT } from './routes/kling-new-routes.ts';
import { NOVITA_DIALECT } from './routes/novita-routes.ts';
import { OPENAI_DIALECT } from './routes/openai-video-routes.ts';
import type { RouteDeps } from './route-deps.ts';
import type { RenderError } from './to-app-error.ts';

export type DialectView = { render(task: Task, requestId: string): unknown; error: RenderError };

/** Dialects whose clients may name a task by their own `external_task_id` (Kling's official API and its passthrough). */
const EXTERNAL_ID_DIALECTS: readonly string[] = ['kling', 'newapi', KLING_NEW_DIALECT];

export type DialectTaskViews = {
  /** The caller's task by its public id (or, for Kling dialects, its external id); null when not theirs. */
  findOwned(keyId: string, id: string): Promise<Task | null>;
  /** How the task's dialect renders it and its errors. */
  viewOf(task: Task): DialectView;
};

export function createDialectTaskViews(deps: Pick<RouteDeps, 'tasks' | 'mediaUrl' | 'mediaTtlSeconds'>): DialectTaskViews {
  const media: TaskMedia = { url: deps.mediaUrl, ttlSeconds: deps.mediaTtlSeconds };
  const body = (task: Task) => renderTaskBody(task, media);
  const kling = (flavor: 'kling' | 'newapi'): DialectView => ({
    render: (task, requestId) => renderKlingEnvelope(flavor, task, requestId, deps.mediaUrl),
    error: klingError,
  });
  const views: Readonly<Record<string, DialectView>> = {
    kling: kling('kling'),
    newapi: kling('newapi'),
    // The new design queries through the batch `GET /tasks`; one task is its object in the envelope.
    [KLING_NEW_DIALECT]: { render: (task, requestId) => klingSuccess(body(task), requestId), error: klingError },
    evolink: { render: body, error: evolinkError },
    apimart: { render: body, error: apimartError },
    [NOVITA_DIALECT]: { render: body, error: novitaError },
    [OPENAI_DIALECT]: { render: body, error: openAiError },
  };

  return {
    async findOwned(keyId, id) {
      const task = await deps.tasks.findOwned(keyId, id);
      if (!task || !Object.hasOwn(views, task.dialect)) return null;
      const byExternalId = task.publicId !== id && EXTERNAL_ID_DIALECTS.includes(task.dialect);
      return task.publicId === id || byExternalId ? task : null;
    },
    viewOf(task) {
      const view = views[task.dialect];
      // findOwned returns only tasks of a known dialect.
      if (!view) throw new Error(`no view for dialect ${task.dialect}`);
      return view;
    },
  };
}
