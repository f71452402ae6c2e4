/** The task page: the video, the request, a timeline, the upstream, the money and the webhook deliveries. */
import type { Context } from 'hono';
import { isTerminal, type Task } from '../../domain/task.ts';
import type { LedgerEntry } from '../../store/dashboard-reads.ts';
import type { DeliveryInfo } from '../../store/deliveries.ts';
import type { DashboardEnv } from './dashboard-env.ts';
import { CsrfField, DASHBOARD, Layout } from './layout.tsx';
import { credits, Progress, requestSummary, StatusBadge, Time } from './task-views.tsx';

type TimelineEntry = { at: number; what: string; detail?: string | undefined };

function timelineOf(task: Task, ledger: LedgerEntry[], deliveries: DeliveryInfo[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [{ at: task.createdAt, what: 'queued', detail: `created through the ${task.dialect} dialect` }];
  if (task.submitStartedAt !== null) entries.push({ at: task.submitStartedAt, what: 'submitted upstream', detail: `to ${task.provider}` });
  if (task.startedAt !== null) entries.push({ at: task.startedAt, what: 'running' });
  if (task.cancelRequestedAt !== null) entries.push({ at: task.cancelRequestedAt, what: 'cancel asked' });
  if (task.finishedAt !== null) entries.push({ at: task.finishedAt, what: task.status, detail: task.failure ? `${task.failure.code}: ${task.failure.message}` : undefined });
  for (const l of ledger) entries.push({ at: l.created_at, what: `billing: ${l.entry}`, detail: `${credits(l.micros)} credits${l.outcome ? ` (${l.outcome})` : ''}` });
  for (const d of deliveries) {
    entries.push({ at: d.created_at, what: `webhook queued: ${d.event}`, detail: d.url });
    if (d.delivered_at !== null) entries.push({ at: d.delivered_at, what: `webhook delivered: ${d.event}`, detail: `HTTP ${d.last_status ?? '?'} after ${d.attempts} attempt(s)` });
  }
  // Stable: equal times keep the order above (created before its hold, and so on).
  return entries.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i).map(({ e }) => e);
}

function Facts(props: { rows: Array<[string, unknown]> }) {
  return (
    <dl class="facts">
      {props.rows.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? <span class="muted">—</span> : (v as string)}</dd>
        </>
      ))}
    </dl>
  );
}

export function TaskPage(props: { task: Task; ledger: LedgerEntry[]; deliveries: DeliveryInfo[]; c: Context<DashboardEnv>; mediaUrl: (key: string) => string }) {
  const { task, c } = props;
  const session = c.get('session');
  const r = task.request;
  const open = !isTerminal(task.status);
  const b = task.billing;
  return (
    <Layout title={`Task ${task.publicId}`} session={session} active="tasks" scripts={['task-page.js']}>
      <div class="row-between">
        <h1 class="mono">{task.publicId}</h1>
        {open ? (
          <form method="post" action={`${DASHBOARD}/tasks/${encodeURIComponent(task.publicId)}/cancel`}>
            <CsrfField session={session} />
            <button type="submit" class="danger">
              Cancel
            </button>
          </form>
        ) : null}
      </div>
      <p id="task-state" data-events={open ? `${DASHBOARD}/tasks/${encodeURIComponent(task.publicId)}/events` : undefined} data-status={task.status}>
        <StatusBadge status={task.status} cancelPending={open && task.cancelRequestedAt !== null} /> <Progress value={task.progress} /> <span class="muted">{requestSummary(task)}</span>
      </p>
      {task.failure ? (
        <p class="error" role="alert">
          {task.failure.code}: {task.failure.message}
        </p>
      ) : null}

      {task.result && task.result.videos.length > 0 ? (
        <section class="card">
          <h2>Video</h2>
          {task.result.videos.map((v, i) => (
            <figure>
              <video id={i === 0 ? 'player' : undefined} controls preload="metadata" src={props.mediaUrl(v.key)} data-duration={String(v.duration)}></video>
              <figcaption class="muted small">
                {`${v.duration} s stored`} · <a href={props.mediaUrl(v.key)}>download</a>
                {v.watermarkKey ? (
                  <>
                    {' '}
                    · <a href={props.mediaUrl(v.watermarkKey)}>watermarked copy</a>
                  </>
                ) : null}
                {task.provider === 'preview' ? ' · a preview render, not AI video' : ''}
              </figcaption>
            </figure>
          ))}
        </section>
      ) : null}

      <div class="grid2">
        <section class="card">
          <h2>Request</h2>
          <Facts
            rows={[
              ['model', r.model],
              ['tier', r.tier],
              ['duration', `${r.duration} s`],
              ['aspect ratio', r.aspectRatio],
              ['sound', r.sound ? 'on' : 'off'],
              ['kind', task.kind],
              ['prompt', r.prompt],
              ['negative prompt', r.negativePrompt],
              ['multi-shot', r.multiShot ?? 'no'],
              ['callback URL', r.callbackUrl],
              ['external task id', r.externalTaskId],
            ]}
          />
          {r.shots.length > 0 ? (
            <ol class="shots">
              {r.shots.map((s) => (
                <li>{`${s.duration} s: ${s.prompt}`}</li>
              ))}
            </ol>
          ) : null}
          <details>
            <summary>As stored (JSON)</summary>
            <pre>{JSON.stringify({ ...r, firstFrame: r.firstFrame && r.firstFrame.length > 200 ? `${r.firstFrame.slice(0, 200)}… (${r.firstFrame.length} chars)` : r.firstFrame, lastFrame: r.lastFrame && r.lastFrame.length > 200 ? `${r.lastFrame.slice(0, 200)}… (${r.lastFrame.length} chars)` : r.lastFrame }, null, 2)}</pre>
          </details>
        </section>
        <section class="card">
          <h2>Upstream</h2>
          <Facts
            rows={[
              ['provider', task.provider],
              ['upstream task id', task.upstreamId],
              ['attempts', String(task.attempts)],
              ['status checks', String(task.checks)],
              ['callbacks received', String(task.nudges)],
              ['mirror failures', String(task.mirrorFailures)],
              ['units charged upstream', task.unitsCharged === null ? null : String(task.unitsCharged)],
            ]}
          />
          <h2>Billing</h2>
          <Facts
            rows={[
              ['held', b ? `${credits(b.holdMicros)} credits` : null],
              ['captured', b?.chargedMicros != null ? `${credits(b.chargedMicros)} credits` : null],
              ['released', b?.releasedMicros != null ? `${credits(b.releasedMicros)} credits` : null],
              ['billed seconds', b?.billedSeconds != null ? String(b.billedSeconds) : null],
            ]}
          />
        </section>
      </div>

      <section class="card">
        <h2>Timeline</h2>
        <ol class="timeline">
          {timelineOf(task, props.ledger, props.deliveries).map((e) => (
            <li>
              <Time ms={e.at} /> <strong>{e.what}</strong> {e.detail ? <span class="muted">{e.detail}</span> : null}
            </li>
          ))}
        </ol>
      </section>

      <section class="card">
        <h2>Webhook deliveries</h2>
        {props.deliveries.length === 0 ? (
          <p class="muted">None: the task has no callback URL and its key no default webhook URL.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Event</th>
                <th>URL</th>
                <th>Status</th>
                <th class="num">Attempts</th>
                <th>Last answer</th>
                <th>Delivered</th>
                {session.isMaster ? <th></th> : null}
              </tr>
            </thead>
            <tbody>
              {props.deliveries.map((d) => (
                <tr>
                  <td>{d.event}</td>
                  <td class="mono small">{d.url}</td>
                  <td>
                    <span class={`badge delivery-${d.status}`}>{d.status}</span>
                  </td>
                  <td class="num">{String(d.attempts)}</td>
                  <td class="small">{d.last_status !== null ? `HTTP ${d.last_status}` : (d.last_error ?? '—')}</td>
                  <td class="small">
                    <Time ms={d.delivered_at} />
                  </td>
                  {session.isMaster ? (
                    <td>
                      <form method="post" action={`${DASHBOARD}/admin/deliveries/${encodeURIComponent(d.id)}/replay`}>
                        <CsrfField session={session} />
                        <input type="hidden" name="back" value={`${DASHBOARD}/tasks/${task.publicId}`} />
                        <button type="submit" class="small">
                          Replay
                        </button>
                      </form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}
