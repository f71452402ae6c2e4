/**
 * The official Kling legacy routes (spec §1.3-§1.8): create, query by task id or external id,
 * and the caller's own list. Mounted at `/v1` (official ids) and at `/kling/v1` (the new-api
 * passthrough of seed 001: `task_` + 32 ids, also echoed as a top-level `task_id`).
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../domain/errors.ts';
import { TASK_KINDS, type Task } from '../../domain/task.ts';
import { klingError, klingSuccess } from '../../dialects/kling/envelope.ts';
import { mintKlingTaskId, renderKlingEnvelope, type KlingFlavor } from '../../dialects/kling/flavors.ts';
import { parseKlingCreate } from '../../dialects/kling/parse-create.ts';
import { renderKlingTask } from '../../dialects/kling/render-task.ts';
import type { AppEnv } from '../app-env.ts';
import { createdResponse, readIdempotency } from '../idempotency.ts';
import { IMAGE_BODY_BYTES, MAX_BODY_BYTES, limitBody, readJsonBody } from '../read-json.ts';
import { errorResponse } from '../to-app-error.ts';
import type { RouteDeps } from '../route-deps.ts';


export type KlingRoutesDeps = RouteDeps;

function pageParam(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) {
    throw new AppError('invalid_parameter', `${name} must be an integer between 1 and ${max}`, { field: name });
  }
  return n;
}

export function createKlingRoutes(deps: KlingRoutesDeps, flavor: KlingFlavor): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const respond = (task: Task, requestId: string) => renderKlingEnvelope(flavor, task, requestId, deps.mediaUrl);

  // Per route, not `use('*')`: other dialects share the /v1 prefix and answer in their own words.
  const auth = createMiddleware<AppEnv>(async (c, next) => {
    c.set('owner', await deps.authenticate(c.req.header('authorization')));
    await next();
  });

  for (const kind of TASK_KINDS) {
    app.post(
      `/videos/${kind}`,
      auth,
      limitBody(kind === 'image2video' ? IMAGE_BODY_BYTES : MAX_BODY_BYTES),
      async (c) => {
        const idempotency = await readIdempotency(c);
        const request = parseKlingCreate(await readJsonBody(c), { models: deps.models, kind });
        const created = await deps.createTask({ keyId: c.get('owner').keyId, dialect: flavor, kind, publicId: mintKlingTaskId(flavor), request, idempotency });
        return createdResponse(c, created, respond(created.task, c.get('requestId')));
      },
    );

    app.get(`/videos/${kind}/:id`, auth, async (c) => {
      const task = await deps.tasks.findOwned(c.get('owner').keyId, c.req.param('id'), kind);
      if (!task) throw new AppError('task_not_found', `task ${c.req.param('id')} does not exist`, { field: 'task_id' });
      return c.json(respond(task, c.get('requestId')));
    });

    app.get(`/videos/${kind}`, auth, async (c) => {
      const pageNum = pageParam(c.req.query('pageNum'), 'pageNum', 1, 1000);
      const pageSize = pageParam(c.req.query('pageSize'), 'pageSize', 30, 500);
      const tasks = await deps.tasks.listOwned(c.get('owner').keyId, kind, (pageNum - 1) * pageSize, pageSize);
      return c.json(klingSuccess(tasks.map((t) => renderKlingTask(t, deps.mediaUrl)), c.get('requestId')));
    });
  }

  app.onError((e, c) => errorResponse(c, deps.log, e, klingError));
  return app;
}

/** Unknown routes under a Kling prefix answer 1202, as the official API does. Mount it last. */
export function klingRouteNotFound(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.all('*', (c) => {
    const error = new AppError('route_not_found', `${c.req.method} ${c.req.path} is not a Kling API route`);
    const { status, body } = klingError(error, c.get('requestId'));
    return c.json(body, status as 404);
  });
  return app;
}
