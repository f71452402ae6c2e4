/** Pieces the task pages share: a status badge, a progress bar, credits and times, a task row. */
import { toCredits } from '../../billing/credits.ts';
import type { Task } from '../../domain/task.ts';
import { DASHBOARD } from './layout.tsx';

/** Credits with up to 4 decimals (micro-credits are exact; people read credits). */
export function credits(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  return toCredits(micros).toLocaleString('en-US', { maximumFractionDigits: 4 });
}

/** UTC, to the second: the same on every instance and in every log line. Scripts show it local. */
export function Time(props: { ms: number | null | undefined }) {
  if (props.ms === null || props.ms === undefined) return <span class="muted">—</span>;
  const iso = new Date(props.ms).toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`}</time>;
}

export function StatusBadge(props: { status: string; cancelPending?: boolean }) {
  return (
    <span class={`badge status-${props.status}`} data-status={props.status}>
      {props.status}
      {props.cancelPending ? ' (cancel asked)' : ''}
    </span>
  );
}

export function Progress(props: { value: number }) {
  const v = Math.max(0, Math.min(100, Math.round(props.value)));
  return (
    <span class="progress" title={`${v} %`}>
      <progress max={100} value={v}></progress> <span class="num">{`${v} %`}</span>
    </span>
  );
}

/** "kling-v3 · pro · 5 s · 16:9 · sound" */
export function requestSummary(task: Task): string {
  const r = task.request;
  return [r.model, r.tier, `${r.duration} s`, r.aspectRatio, r.sound ? 'sound' : null, r.multiShot ? `${Math.max(r.shots.length, 1)} shots` : null].filter((x) => x !== null).join(' · ');
}

/** One row of the task list; the live list replaces a row by its id with a fresh one. */
export function TaskRow(props: { task: Task; showKey: boolean }) {
  const t = props.task;
  const billed = t.billing?.chargedMicros ?? t.billing?.holdMicros ?? null;
  return (
    <tr id={`task-${t.publicId}`} data-status={t.status} data-progress={t.progress}>
      <td>
        <a href={`${DASHBOARD}/tasks/${encodeURIComponent(t.publicId)}`} class="mono">
          {t.publicId}
        </a>
        <div class="muted small">{t.dialect}</div>
      </td>
      {props.showKey ? <td class="mono small">{t.keyId}</td> : null}
      <td>
        <div class="prompt" title={t.request.prompt}>
          {t.request.prompt || '(shots)'}
        </div>
        <div class="muted small">{requestSummary(t)}</div>
      </td>
      <td>
        <StatusBadge status={t.status} cancelPending={t.cancelRequestedAt !== null && (t.status === 'queued' || t.status === 'running')} />
      </td>
      <td>
        <Progress value={t.progress} />
      </td>
      <td class="num">{credits(billed)}</td>
      <td class="small">
        <Time ms={t.createdAt} />
      </td>
    </tr>
  );
}

/** A GET form's status filter ("any" or one of `statuses`); `autosubmit` submits on change (task-list.js). */
export function StatusFilter(props: { statuses: readonly string[]; selected: string | undefined; autosubmit?: boolean }) {
  return (
    <label>
      Status{' '}
      <select name="status" data-autosubmit={props.autosubmit ? true : undefined}>
        <option value="">any</option>
        {props.statuses.map((s) => (
          <option value={s} selected={s === props.selected}>
            {s}
          </option>
        ))}
      </select>
    </label>
  );
}
