/**
 * The official Kling new design (spec §1.11): `POST /text-to-video/{model}`,
 * `POST /image-to-video/{model}`, `GET /tasks?task_ids=|external_task_ids=` and the `POST /tasks`
 * window listing. Mounted at `/` after every other group; answers in the official envelope.
 */
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../domain/errors.ts';
import { klingTaskId } from '../../domain/ids.ts';
import { klingError, klingSuccess } from '../../dialects/kling/envelope.ts';
import { KLING_NEW_PRODUCTS, resolveKlingNewModel } from '../../dialects/kling-new/models.ts';
import { parseKlingNewCreate } from '../../dialects/kling-new/parse-create.ts';
import { parseTaskListBody, parseTaskRefs } from '../../dialects/kling-new/parse-task-queries.ts';
import { renderKlingNewCreated, renderKlingNewTask } from '../../dialects/kling-new/render-task.ts';
import type { TaskBatchQueries } from '../../store/task-batch-queries.ts';
import type { AppEnv } from '../app-env.ts';
import { createdResponse, readIdempotency } from '../idempotency.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import { errorResponse } from '../to-app-error.ts';
import type { RouteDeps } from '../route-deps.ts';

export const KLING_NEW_DIALECT = 'kling-new';

/**
 * `/tasks` is the new design's only query route, so it also reads tasks the official legacy
 * routes created (rendered as new-design objects). Reseller dialects keep their own routes [I].
 */
export const TASKS_ROUTE_DIALECTS = [KLING_NEW_DIALECT, 'kling'] as const;

/**
 * `taskBatches` (createTaskBatchQueries over the app's database) serves `/tasks`; without it those
 * routes answer 1202 saying they are not available on this server.
 */
export function createKlingNewRoutes(deps: RouteDeps, taskBatches?: TaskBatchQueries): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Per route, not `use('*')`: mounted at `/`, a wildcard would guard every other path too.
  const auth = createMiddleware<AppEnv>(async (c, next) => {
    c.set('owner', await deps.authenticate(c.req.header('authorization')));
    await next();
  });

  for (const product of KLING_NEW_PRODUCTS) {
    app.post(`/${product}/:model`, auth, limitBody(), async (c) => {
      const { model, kind } = resolveKlingNewModel(product, c.req.param('model'), deps.models);
      const idempotency = await readIdempotency(c);
      const request = parseKlingNewCreate(await readJsonBody(c), { model, kind });
      const created = await deps.createTask({ keyId: c.get('owner').keyId, dialect: KLING_NEW_DIALECT, kind, publicId: klingTaskId(), request, idempotency });
      return createdResponse(c, created, klingSuccess(renderKlingNewCreated(created.task), c.get('requestId')));
    });
  }

  const batches = taskBatches;
  if (batches) {
    const filter = { dialects: TASKS_ROUTE_DIALECTS };
    app.get('/tasks', auth, async (c) => {
      const refs = parseTaskRefs({ task_ids: c.req.query('task_ids'), external_task_ids: c.req.query('external_task_ids') });
      const keyId = c.get('owner').keyId;
      // Unknown ids (and other keys' tasks) are simply absent from `data`, as in a batch read [I].
      const tasks = refs.by === 'public'
        ? await batches.findOwnedByPublicIds(keyId, refs.ids, filter)
        : await batches.findOwnedByExternalIds(keyId, refs.ids, filter);
      return c.json(klingSuccess(tasks.map((t) => renderKlingNewTask(t, deps.mediaUrl)), c.get('requestId')));
    });

    app.post('/tasks', auth, limitBody(), async (c) => {
      const query = parseTaskListBody(await readOptionalJson(c), Date.now());
      const page = await batches.listOwnedInWindow({ keyId: c.get('owner').keyId, ...query, ...filter });
      const result = page.tasks.map((t) => renderKlingNewTask(t, deps.mediaUrl));
      // `count` is the size of this page; the window's total would cost a COUNT per page [I].
      return c.json(klingSuccess({ result, count: result.length, next_cursor: page.nextCursor ?? '', has_more: page.hasMore }, c.get('requestId')));
    });
  } else {
    app.on(['GET', 'POST'], '/tasks', auth, (c) => {
      throw new AppError('route_not_found', `${c.req.method} /tasks is not available on this server (no task batch queries wired)`);
    });
  }

  // Kling answers an unknown path or method under its routes with 1202 "method is invalid".
  for (const path of ['/text-to-video', '/text-to-video/*', '/image-to-video', '/image-to-video/*', '/tasks', '/tasks/*']) {
    app.all(path, (c) => {
      throw new AppError('route_not_found', `${c.req.method} ${c.req.path} is not a Kling API route`);
    });
  }

  app.onError((e, c) => errorResponse(c, deps.log, e, klingError));
  return app;
}

/** An empty `POST /tasks` body asks for every default [I]; anything else must be JSON. */
async function readOptionalJson(c: Context<AppEnv>): Promise<unknown> {
  // Hono keeps the read body, so readJsonBody reads the same bytes again without the network.
  const raw = await c.req.arrayBuffer();
  return raw.byteLength === 0 ? {} : readJsonBody(c);
}
