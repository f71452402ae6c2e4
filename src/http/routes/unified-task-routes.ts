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
import { APIMART_MODELS, isApimartModel } from '../../dialects/apimart/models.ts';
import { parseApimartCreate } from '../../dialects/apimart/parse-create.ts';
import { renderApimartCreated, renderApimartTask } from '../../dialects/apimart/render-task.ts';
import { evolinkError } from '../../dialects/evolink/envelope.ts';
import { EVOLINK_MODELS, isEvolinkModel } from '../../dialects/evolink/models.ts';
import { parseEvolinkCreate } from '../../dialects/evolink/parse-create.ts';
import { renderEvolinkCreated, renderEvolinkTask } from '../../dialects/evolink/render-task.ts';
import { NOT_AN_OBJECT, isObjectBody } from '../../dialects/shared/wire-shape.ts';
import type { AppEnv } from '../app-env.ts';
import { createdResponse, readIdempotency } from '../idempotency.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import type { RouteDeps } from '../route-deps.ts';
import { errorResponse } from '../to-app-error.ts';

/** The dialects these routes speak; a task row's `dialect` holds one of them. */
export const UNIFIED_DIALECTS = ['evolink', 'apimart'] as const;
export type UnifiedDialect = (typeof UNIFIED_DIALECTS)[number];

function isUnifiedDialect(dialect: string): dialect is UnifiedDialect {
  return (UNIFIED_DIALECTS as readonly string[]).includes(dialect);
}

/** Which dialect a create body speaks, from its `model`; an unreadable or unknown model is an EvoLink error. */
function dialectOf(body: unknown, served: readonly string[]): UnifiedDialect {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  let model: unknown;
  try {
    model = body.model;
  } catch (cause) {
    throw new AppError('invalid_parameter', 'request body must be a JSON object', { cause });
  }
  if (model === undefined || model === null || model === '') {
    throw new AppError('invalid_parameter', `model is required; available models: ${availableModels(served)}`, { field: 'model' });
  }
  if (typeof model !== 'string') throw new AppError('invalid_parameter', 'model must be a string', { field: 'model' });
  if (isEvolinkModel(model)) return 'evolink';
  if (isApimartModel(model)) return 'apimart';
  // EvoLink answers an unknown model with 400 invalid_request_error (its "Invalid model" row).
  const shown = model.length > 64 ? `${model.slice(0, 64)}…` : model;
  throw new AppError('invalid_parameter', `model '${shown}' is not available; available models: ${availableModels(served)}`, { field: 'model' });
}

function availableModels(served: readonly string[]): string {
  const all = { ...EVOLINK_MODELS, ...APIMART_MODELS };
  return Object.entries(all).filter(([, canonical]) => served.includes(canonical)).map(([wire]) => wire).join(', ') || 'none';
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
        dialect = dialectOf(body, deps.models);
        // After the model: a bad header is answered in the dialect the body speaks.
        const idempotency = await readIdempotency(c);
        const keyId = c.get('owner').keyId;
        if (dialect === 'apimart') {
          const { request, kind } = parseApimartCreate(body, { models: deps.models });
          const created = await deps.createTask({ keyId, dialect, kind, publicId: apimartTaskId(), request, idempotency });
          return createdResponse(c, created, renderApimartCreated(created.task));
        }
        const request = parseEvolinkCreate(body, { models: deps.models });
        const created = await deps.createTask({ keyId, dialect, kind: 'text2video', publicId: evolinkTaskId(), request, idempotency });
        return createdResponse(c, created, renderEvolinkCreated(created.task));
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
