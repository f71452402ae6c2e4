/**
 * Routes every dialect's task shares, mounted at `/v1` (beside EvoLink/APIMart's
 * `GET /v1/tasks/{id}`, which has one path segment less):
 * - `GET /tasks/{id}/events`: server-sent events (src/http/task-event-stream.ts);
 * - `POST /tasks/{id}/cancel`: cancel (rules: src/engine/cancel-task.ts), answering the task as
 *   its dialect's GET shows it, or 409 in the dialect's error envelope when it is already over.
 * `{id}` is any dialect's public task id, or a Kling client's own external_task_id. Until the task
 * is known there is no dialect to answer in: errors then are Reelay's plain
 * `{"error":{code,message,request_id}}`, and another key's task is simply not found (404).
 */
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { streamSSE } from 'hono/streaming';
import { AppError } from '../../domain/errors.ts';
import type { Task } from '../../domain/task.ts';
import type { TaskCanceler } from '../../engine/cancel-task.ts';
import type { TaskEvents } from '../../engine/task-events.ts';
import type { AppEnv } from '../app-env.ts';
import { createDialectTaskViews } from '../dialect-task-views.ts';
import type { RouteDeps } from '../route-deps.ts';
import { streamTaskEvents, type TaskEventTiming } from '../task-event-stream.ts';
import { errorResponse, type RenderError } from '../to-app-error.ts';
import { novitaAuthorization } from './novita-routes.ts';

export type SharedTaskRouteDeps = { events: TaskEvents; cancelTask: TaskCanceler; timing: TaskEventTiming };

const plainError: RenderError = (error, requestId) => ({
  status: error.status,
  body: { error: { code: error.code, message: error.message, request_id: requestId } },
});

export function createSharedTaskRoutes(deps: RouteDeps, shared: SharedTaskRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const views = createDialectTaskViews(deps);

  // Per route, not `use('*')`: other dialects share the /v1 prefix. Novita's SDK sends its key bare.
  const auth = createMiddleware<AppEnv>(async (c, next) => {
    c.set('owner', await deps.authenticate(novitaAuthorization(c.req.header('authorization'))));
    await next();
  });

  async function ownTask(c: Context<AppEnv>): Promise<Task> {
    const id = c.req.param('id') ?? '';
    const task = await views.findOwned(c.get('owner').keyId, id);
    if (!task) throw new AppError('task_not_found', `task ${id.length > 64 ? `${id.slice(0, 64)}…` : id} does not exist`, { field: 'task_id' });
    return task;
  }

  app.get('/tasks/:id/events', auth, async (c) => {
    const task = await ownTask(c);
    const view = views.viewOf(task);
    const requestId = c.get('requestId');
    const streamDeps = { tasks: deps.tasks, events: shared.events, timing: shared.timing, render: (t: Task) => view.render(t, requestId) };
    // Tells nginx (and proxies that follow its convention) not to buffer the stream, whatever its config.
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
      // Caught here: hono would send the error's message to the client as an `error` event.
      await streamTaskEvents(stream, task, streamDeps).catch((e: unknown) => deps.log.error({ err: e, taskId: task.id, requestId }, 'task event stream failed'));
    });
  });

  app.post('/tasks/:id/cancel', auth, async (c) => {
    const found = await ownTask(c);
    const view = views.viewOf(found);
    const { outcome, task } = await shared.cancelTask(found);
    if (outcome === 'ended') {
      const error = new AppError('task_already_ended', `task ${task.publicId} is already ${task.status}; only a queued or running task can be canceled`, { field: 'task_id' });
      return errorResponse(c, deps.log, error, view.error);
    }
    return c.json(view.render(task, c.get('requestId')) as object, 200);
  });

  app.onError((e, c) => errorResponse(c, deps.log, e, plainError));
  return app;
}
