/**
 * `/admin/deliveries` (master key only): a task's webhook deliveries, and replaying one.
 * `GET /admin/deliveries?task_id=` takes a task's public or internal id and lists its deliveries
 * (no body, no secret). `POST /admin/deliveries/{id}/replay` starts a new attempt series: pending,
 * due now, attempts counted from zero, the same `webhook-id`.
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { AppError } from '../../domain/errors.ts';
import type { Task } from '../../domain/task.ts';
import type { DeliveryInfo, DeliveryStore } from '../../store/deliveries.ts';
import type { TaskRepository } from '../../store/task-repository.ts';
import { replayDelivery } from '../admin-actions.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import { errorResponse } from '../to-app-error.ts';
import { adminError, masterOnly } from './admin-routes.ts';

export type DeliveryAdminDeps = {
  authenticate: Authenticator;
  deliveries: DeliveryStore;
  tasks: TaskRepository;
  /** The callback body for a task's current status (the renderer the outbox uses), or null. */
  renderCallback: (task: Task) => string | null;
  /** Tells the sender a delivery is due. */
  notifySender: () => void;
  now: () => number;
  log: Logger;
};

/** The listed view: the task's public id as `task_id` where the task still exists. */
function view(d: DeliveryInfo) {
  const { public_task_id, task_id, ...rest } = d;
  return { ...rest, task_id: public_task_id ?? task_id, internal_task_id: task_id };
}

export function createDeliveryAdminRoutes(deps: DeliveryAdminDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/deliveries', masterOnly(deps.authenticate));
  app.use('/deliveries/*', masterOnly(deps.authenticate));

  app.get('/deliveries', async (c) => {
    const taskId = c.req.query('task_id') ?? '';
    if (taskId === '') throw new AppError('invalid_parameter', "task_id is required: a task's public or internal id", { field: 'task_id' });
    return c.json({ deliveries: (await deps.deliveries.listForTask(taskId)).map(view) });
  });

  app.post('/deliveries/:id/replay', async (c) => {
    const id = c.req.param('id');
    const { listed } = await replayDelivery(deps, id);
    return c.json(listed ? view(listed) : { id, status: 'pending' });
  });

  app.onError((e, c) => errorResponse(c, deps.log, e, adminError));
  return app;
}
