/**
 * The tasks a session may see (its key's; every key's for the master key): a live list, a task
 * page with the video, the request, a timeline, the upstream, the money and the webhook
 * deliveries, and cancel. Live means server-sent events: the list stream re-reads the newest
 * tasks whenever any task changes (or every `pollMs`, for changes made by another instance) and
 * sends each changed row rendered by the same component as the page; the task page reuses the
 * API's per-task event stream.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { AppError } from '../../domain/errors.ts';
import { isTerminal, TASK_STATUSES, type Task, type TaskStatus } from '../../domain/task.ts';
import { streamTaskEvents } from '../task-event-stream.ts';
import type { DashboardApp, DashboardDeps, DashboardEnv } from './dashboard-env.ts';
import { DASHBOARD, Layout } from './layout.tsx';
import { TaskPage } from './task-page.tsx';
import { StatusFilter, TaskRow } from './task-views.tsx';

/** Rows on the list page and in its live stream. */
export const LIST_LIMIT = 50;
/** Many tasks changing at once (a load test) still re-read the list at most this often. */
const LIST_MIN_GAP_MS = 250;

const rowFingerprint = (t: Task) => `${t.status}:${t.progress}:${t.cancelRequestedAt ?? ''}:${t.billing?.chargedMicros ?? ''}`;

function ownerFilter(c: Context<DashboardEnv>): string | null {
  const session = c.get('session');
  return session.isMaster ? null : session.keyId;
}

async function visibleTask(c: Context<DashboardEnv>, deps: DashboardDeps): Promise<Task> {
  const id = c.req.param('id') ?? '';
  const task = await deps.reads.taskByPublicId(ownerFilter(c), id);
  if (!task) throw new AppError('task_not_found', `There is no task ${id.length > 64 ? `${id.slice(0, 64)}…` : id} for this key.`);
  return task;
}

function TaskListPage(props: { tasks: Task[]; c: Context<DashboardEnv>; status: TaskStatus | undefined }) {
  const session = props.c.get('session');
  return (
    <Layout title="Tasks" session={session} active="tasks" scripts={['task-list.js']}>
      <div class="row-between">
        <h1>Tasks</h1>
        <form method="get" class="inline">
          <StatusFilter statuses={TASK_STATUSES} selected={props.status} autosubmit />
          <noscript>
            <button type="submit">Filter</button>
          </noscript>
        </form>
      </div>
      <p class="muted small">
        The newest {LIST_LIMIT}{session.isMaster ? ' of every key' : ''}, updated live. <span id="live-state" class="live">connecting…</span>
      </p>
      <table class="tasks" id="task-list" data-events={`${DASHBOARD}/tasks/events${props.status ? `?status=${props.status}` : ''}`}>
        <thead>
          <tr>
            <th>Task</th>
            {session.isMaster ? <th>Key</th> : null}
            <th>Request</th>
            <th>Status</th>
            <th>Progress</th>
            <th class="num">Credits</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {props.tasks.map((t) => (
            <TaskRow task={t} showKey={session.isMaster} />
          ))}
        </tbody>
      </table>
      {props.tasks.length === 0 ? (
        <p class="empty" id="no-tasks">
          No tasks yet. {session.isMaster ? 'Keys create them through the API or the playground.' : <a href={`${DASHBOARD}/playground`}>Make one in the playground.</a>}
        </p>
      ) : null}
    </Layout>
  );
}

function parseStatus(value: string | undefined): TaskStatus | undefined {
  return TASK_STATUSES.find((s) => s === value);
}

export function registerTaskPages(app: DashboardApp, deps: DashboardDeps): void {
  app.get('/tasks', async (c) => {
    const status = parseStatus(c.req.query('status'));
    const tasks = await deps.reads.recentTasks({ keyId: ownerFilter(c), limit: LIST_LIMIT, status });
    return c.html(<TaskListPage tasks={tasks} c={c} status={status} />);
  });

  app.get('/tasks/events', (c) => {
    const keyId = ownerFilter(c);
    const showKey = c.get('session').isMaster;
    const status = parseStatus(c.req.query('status'));
    // As the API's event streams: nginx must pass each event on at once.
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
      const sent = new Map<string, string>();
      let woken = true;
      let wake: (() => void) | null = null;
      const rouse = () => {
        woken = true;
        wake?.();
      };
      const unsubscribe = deps.events.subscribeAll(rouse);
      stream.onAbort(rouse);
      let lastWriteAt = Date.now();
      try {
        while (!stream.aborted && !deps.events.closed) {
          if (woken) {
            woken = false;
            const tasks = await deps.reads.recentTasks({ keyId, limit: LIST_LIMIT, status });
            // Only the rows in view are remembered: a tab left open for days holds 50, not all.
            for (const id of [...sent.keys()]) if (!tasks.some((t) => t.publicId === id)) sent.delete(id);
            // Oldest first, so a client inserting new rows at the top ends with the newest on top.
            for (const t of [...tasks].reverse()) {
              const fp = rowFingerprint(t);
              if (sent.get(t.publicId) === fp) continue;
              sent.set(t.publicId, fp);
              const html = await (<TaskRow task={t} showKey={showKey} />).toString();
              await stream.writeSSE({ event: 'row', data: JSON.stringify({ id: t.publicId, status: t.status, progress: t.progress, html }) });
              lastWriteAt = Date.now();
            }
            await new Promise((r) => setTimeout(r, LIST_MIN_GAP_MS));
            continue;
          }
          if (Date.now() - lastWriteAt >= deps.keepAliveMs) {
            await stream.write(': keep-alive\n\n');
            lastWriteAt = Date.now();
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              woken = true;
              resolve();
            }, Math.min(deps.pollMs, deps.keepAliveMs));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
        }
      } finally {
        unsubscribe();
      }
    });
  });

  app.get('/tasks/:id', async (c) => {
    const task = await visibleTask(c, deps);
    const [ledger, deliveries] = await Promise.all([deps.reads.ledgerFor(task.id), deps.deliveries.listForTask(task.id)]);
    return c.html(<TaskPage task={task} ledger={ledger} deliveries={deliveries} c={c} mediaUrl={deps.mediaUrl} />);
  });

  app.get('/tasks/:id/events', async (c) => {
    const task = await visibleTask(c, deps);
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, (stream) =>
      streamTaskEvents(stream, task, {
        tasks: deps.tasks,
        events: deps.events,
        timing: { keepAliveMs: deps.keepAliveMs, pollMs: deps.pollMs },
        render: (t) => ({ status: t.status, progress: t.progress, cancelPending: t.cancelRequestedAt !== null && !isTerminal(t.status) }),
      }),
    );
  });

  app.post('/tasks/:id/cancel', async (c) => {
    const task = await visibleTask(c, deps);
    await deps.cancelTask(task);
    return c.redirect(`${DASHBOARD}/tasks/${encodeURIComponent(task.publicId)}`, 303);
  });
}
