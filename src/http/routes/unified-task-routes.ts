/**
 * The unified task routes EvoLink (seeds 000, 002) and APIMart (seed 004) share:
 * `POST /v1/videos/generations` (the `model` field picks the dialect) and `GET /v1/tasks/{id}`
 * (the task is rendered in the dialect that created it).
 *
 * [I] Until Reelay knows which dialect a request speaks (bad credentials, an unreadable body,
 * a missing or unknown model, a task that is not the caller's), it answers in EvoLink's
 * envelope: these are EvoLink's unified routes, which APIMart copied.
 */
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../domain/errors.ts';
import { apimartTaskId, evolinkTaskId } from '../../domain/ids.ts';
import type { Task } from '../../domain/task.ts';
import { apimartError } from '../../dialects/apimart/envelope.ts';
import { renderApimartCreated, renderApimartTask } from '../../dialects/apimart/render-task.ts';
import { evolinkError } from '../../dialects/evolink/envelope.ts';
import { renderEvolinkCreated, renderEvolinkTask } from '../../dialects/evolink/render-task.ts';
import type { AppEnv } from '../app-env.ts';
import { createdResponse, readIdempotency } from '../idempotency.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import type { RouteDeps } from '../route-deps.ts';
import { errorResponse } from '../to-app-error.ts';
import { parseUnifiedCreate, unifiedDialectOf } from '../unified-create.ts';

/** The dialects these routes speak; a task row's `dialect` holds one of them. */
export const UNIFIED_DIALECTS = ['evolink', 'apimart'] as const;
export type UnifiedDialect = (typeof UNIFIED_DIALECTS)[number];

function isUnifiedDialect(dialect: string): dialect is UnifiedDialect {
  return (UNIFIED_DIALECTS as readonly string[]).includes(dialect);
}

export function createUnifiedTaskRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Per route, not `use('*')`: other dialects share the /v1 prefix and answer in their own words.
  const auth = createMiddleware<AppEnv>(async (c, next) => {
    c.set('owner', await deps.authenticate(c.req.header('authorization')));
    await next();
  });

  const fail = (c: Context<AppEnv>, dialect: UnifiedDialect, e: unknown) =>
    errorResponse(c, deps.log, e, dialect === 'apimart' ? apimartError : evolinkError);

  app.post(
    '/videos/generations',
    auth,
    limitBody(),
    async (c) => {
      let dialect: UnifiedDialect = 'evolink';
      try {
        const body = await readJsonBody(c);
        dialect = unifiedDialectOf(body, deps.models);
        // After the model: a bad header is answered in the dialect the body speaks.
        const idempotency = await readIdempotency(c);
        const { kind, request } = parseUnifiedCreate(dialect, body, deps.models);
        const publicId = dialect === 'apimart' ? apimartTaskId() : evolinkTaskId();
        const created = await deps.createTask({ keyId: c.get('owner').keyId, dialect, kind, publicId, request, idempotency });
        return createdResponse(c, created, dialect === 'apimart' ? renderApimartCreated(created.task) : renderEvolinkCreated(created.task));
      } catch (e) {
        return fail(c, dialect, e);
      }
    },
  );

  // `?language=` (APIMart: zh|en|ko|ja) is accepted and ignored: Reelay's messages are English.
  app.get('/tasks/:id', auth, async (c) => {
    const id = c.req.param('id');
    const found = await deps.tasks.findOwned(c.get('owner').keyId, id);
    // Another key's task, or one made through another dialect (a Kling task's id), is not here.
    const task: Task | null = found && isUnifiedDialect(found.dialect) && found.publicId === id ? found : null;
    if (!task) throw new AppError('task_not_found', `task ${id} does not exist`, { field: 'task_id' });
    if (task.dialect === 'apimart') return c.json(renderApimartTask(task, { url: deps.mediaUrl, ttlSeconds: deps.mediaTtlSeconds }));
    return c.json(renderEvolinkTask(task, deps.mediaUrl));
  });

  app.onError((e, c) => fail(c, 'evolink', e));
  return app;
}
