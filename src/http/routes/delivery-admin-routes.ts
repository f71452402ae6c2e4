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
    const delivery = await deps.deliveries.get(id);
    if (!delivery) throw new AppError('delivery_not_found', `delivery ${id.length > 64 ? `${id.slice(0, 64)}…` : id} does not exist`);
    // The body was rendered when the status changed; media links in it expire. While the task is
    // still in the status the delivery reports (always so for an ended task), render it afresh.
    const task = await deps.tasks.get(delivery.task_id);
    const fresh = task && task.status === delivery.event ? deps.renderCallback(task) : null;
    await deps.deliveries.replay(id, deps.now(), fresh ?? undefined);
    deps.notifySender();
    const listed = (await deps.deliveries.listForTask(delivery.task_id)).find((d) => d.id === id);
    return c.json(listed ? view(listed) : { id, status: 'pending' });
  });

  app.onError((e, c) => errorResponse(c, deps.log, e, adminError));
  return app;
}
