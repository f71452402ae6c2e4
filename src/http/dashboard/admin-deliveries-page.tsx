/** The deliveries page: every task's webhook deliveries, newest first, each with a Replay button. */
import { DELIVERY_STATUSES, type DeliveryInfo, type DeliveryStatus } from '../../store/deliveries.ts';
import type { DashboardSession } from './dashboard-session.ts';
import { CsrfField, DASHBOARD, Layout } from './layout.tsx';
import { StatusFilter, Time } from './task-views.tsx';

export function DeliveriesPage(props: { session: DashboardSession; deliveries: DeliveryInfo[]; status: DeliveryStatus | undefined; limit: number; notice?: string | undefined }) {
  const { session } = props;
  const here = `${DASHBOARD}/admin/deliveries${props.status ? `?status=${props.status}` : ''}`;
  return (
    <Layout title="Deliveries" session={session} active="deliveries">
      <div class="row-between">
        <h1>Webhook deliveries</h1>
        <form method="get" action={`${DASHBOARD}/admin/deliveries`} class="inline">
          <StatusFilter statuses={DELIVERY_STATUSES} selected={props.status} />
          <button type="submit" class="secondary">
            Filter
          </button>
        </form>
      </div>
      <p class="muted small">{`The newest ${props.limit}. Replay starts a new series of attempts with the same webhook-id; a delivery for a task still in that status gets a fresh body (new media links).`}</p>
      {props.deliveries.length === 0 ? (
        <p class="empty">{props.status ? `No ${props.status} deliveries.` : 'No deliveries yet: tasks with a callback URL, or of a key with a webhook URL, get them.'}</p>
      ) : (
        <table class="admin-deliveries">
          <thead>
            <tr>
              <th>Task</th>
              <th>Event</th>
              <th>URL</th>
              <th>Status</th>
              <th class="num">Attempts</th>
              <th>Last answer</th>
              <th>Created · updated · delivered</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.deliveries.map((d) => (
              <tr id={`delivery-${d.id}`} data-status={d.status}>
                <td>
                  {d.public_task_id !== null ? (
                    <a class="mono small" href={`${DASHBOARD}/tasks/${encodeURIComponent(d.public_task_id)}`}>
                      {d.public_task_id}
                    </a>
                  ) : (
                    <span class="mono small muted" title="the task is gone">
                      {d.task_id}
                    </span>
                  )}
                  <div class="mono small muted">{d.id}</div>
                </td>
                <td>{d.event}</td>
                <td class="mono small admin-url">{d.url}</td>
                <td>
                  <span class={`badge delivery-${d.status}`}>{d.status}</span>
                </td>
                <td class="num">{String(d.attempts)}</td>
                <td class="small">
                  {d.last_status !== null ? `HTTP ${d.last_status}` : null}
                  {d.last_status !== null && d.last_error ? ': ' : null}
                  {d.last_error ?? (d.last_status === null ? <span class="muted">—</span> : null)}
                </td>
                <td class="small">
                  <Time ms={d.created_at} />
                  <br />
                  <Time ms={d.updated_at} />
                  <br />
                  <Time ms={d.delivered_at} />
                </td>
                <td>
                  <form method="post" action={`${DASHBOARD}/admin/deliveries/${encodeURIComponent(d.id)}/replay`}>
                    <CsrfField session={session} />
                    <input type="hidden" name="back" value={here} />
                    <button type="submit" class="small">
                      Replay
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
