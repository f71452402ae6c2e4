/**
 * Novita async (seed 003, spec §4): `POST /v3/async/kling-v3.0-{pro,std}-t2v` answers
 * `{"task_id":"<uuid>"}`, `GET /v3/async/task-result?task_id=` answers the task. Every success is
 * exactly HTTP 200; every error is `{code, reason, message, metadata}` with the matching status.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../domain/errors.ts';
import { uuid } from '../../domain/ids.ts';
import { novitaError } from '../../dialects/novita/envelope.ts';
import { NOVITA_MODELS, parseNovitaCreate, type NovitaModel } from '../../dialects/novita/parse-create.ts';
import { renderNovitaTask } from '../../dialects/novita/render-task.ts';
import type { AppEnv } from '../app-env.ts';
import { createdResponse, readIdempotency } from '../idempotency.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import type { RouteDeps } from '../route-deps.ts';
import { errorResponse } from '../to-app-error.ts';

export const NOVITA_DIALECT = 'novita';

/** The official Novita SDK sends the key bare; `Bearer <key>` works too. */
export function novitaAuthorization(header: string | undefined): string | undefined {
  const value = header?.trim() ?? '';
  if (value === '') return undefined;
  return /^Bearer\s/i.test(value) ? value : `Bearer ${value}`;
}

export function createNovitaRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const auth = createMiddleware<AppEnv>(async (c, next) => {
    c.set('owner', await deps.authenticate(novitaAuthorization(c.req.header('authorization'))));
    await next();
  });
  for (const model of Object.keys(NOVITA_MODELS) as NovitaModel[]) {
    app.post(`/${model}`, auth, limitBody(), async (c) => {
      const idempotency = await readIdempotency(c);
      const request = parseNovitaCreate(await readJsonBody(c), { models: deps.models, model });
      const created = await deps.createTask({ keyId: c.get('owner').keyId, dialect: NOVITA_DIALECT, kind: 'text2video', publicId: uuid(), request, idempotency });
      return createdResponse(c, created, { task_id: created.task.publicId });
    });
  }

  app.get('/task-result', auth, async (c) => {
    const id = c.req.query('task_id') ?? '';
    if (id === '') throw new AppError('invalid_parameter', 'task_id is required as a query parameter', { field: 'task_id' });
    const task = await deps.tasks.findOwned(c.get('owner').keyId, id);
    // Another dialect's task is rendered only in that dialect: here it does not exist.
    if (!task || task.dialect !== NOVITA_DIALECT) {
      throw new AppError('task_not_found', `task ${id.length > 64 ? `${id.slice(0, 64)}…` : id} does not exist`, { field: 'task_id' });
    }
    return c.json(renderNovitaTask(task, { mediaUrl: deps.mediaUrl, mediaTtlSeconds: deps.mediaTtlSeconds }), 200);
  });

  // Nothing else is mounted under /v3/async, so unknown paths answer in Novita's words.
  app.all('*', (c) => {
    throw new AppError('route_not_found', `${c.req.method} ${c.req.path} is not a Novita API route; models served: ${Object.keys(NOVITA_MODELS).join(', ')}`);
  });

  app.onError((e, c) => errorResponse(c, deps.log, e, novitaError));
  return app;
}
