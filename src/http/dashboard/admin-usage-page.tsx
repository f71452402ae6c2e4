/**
 * The usage page: the usage report (src/billing/usage.ts, the one `GET /admin/usage` answers)
 * as charts of captured credits (what keys were actually charged) per day and model, and the
 * report's rows as numbers.
 */
import { MS_PER_DAY, type UsageReport, type UsageTotals } from '../../billing/usage.ts';
import type { UsageWindow } from '../../billing/usage-window.ts';
import type { KeyInfo } from '../../store/api-keys.ts';
import type { DashboardSession } from './dashboard-session.ts';
import { Legend, ModelTotalsChart, StackedDayChart } from './admin-usage-chart.tsx';
import { DASHBOARD, Layout } from './layout.tsx';

export type UsagePageProps = {
  session: DashboardSession;
  window: UsageWindow;
  /** The form's values as typed (empty: the default window). */
  form: { from: string; to: string; key: string };
  keys: KeyInfo[];
  report: UsageReport;
  error?: string | undefined;
};

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });

/** The seven counters of a usage row or of the totals, as the table's cells (rows: td, totals: th). */
function counterCells(u: UsageTotals, cell: 'td' | 'th') {
  const values = [u.tasks_created, u.tasks_completed, u.tasks_failed, u.tasks_canceled].map(String).concat([u.credits_held, u.credits_captured, u.credits_released].map(fmt));
  return values.map((v) => (cell === 'td' ? <td class="num">{v}</td> : <th class="num">{v}</th>));
}

/** Every UTC day the window touches, YYYY-MM-DD (`to` exclusive). */
export function daysOf(window: UsageWindow): string[] {
  const days: string[] = [];
  for (let d = Math.floor(window.from / MS_PER_DAY); d <= Math.floor((window.to - 1) / MS_PER_DAY); d++) days.push(new Date(d * MS_PER_DAY).toISOString().slice(0, 10));
  return days;
}

function byDayAndModel(report: UsageReport) {
  const cells = new Map<string, number>();
  const perModel = new Map<string, { credits: number; tasks: number }>();
  for (const r of report.rows) {
    const cell = `${r.day}\u0000${r.model}`;
    cells.set(cell, (cells.get(cell) ?? 0) + r.credits_captured);
    const m = perModel.get(r.model) ?? { credits: 0, tasks: 0 };
    m.credits += r.credits_captured;
    m.tasks += r.tasks_created;
    perModel.set(r.model, m);
  }
  const models = [...perModel.keys()].sort();
  return {
    models,
    value: (day: string, model: string) => cells.get(`${day}\u0000${model}`) ?? 0,
    totals: models.map((model) => ({ model, ...(perModel.get(model) ?? { credits: 0, tasks: 0 }) })),
  };
}

function RangeForm(props: { form: UsagePageProps['form']; keys: KeyInfo[] }) {
  const f = props.form;
  return (
    <form method="get" action={`${DASHBOARD}/admin/usage`} class="inline admin-range">
      <label>
        From <input type="date" name="from" value={f.from} />
      </label>
      <label>
        To (exclusive) <input type="date" name="to" value={f.to} />
      </label>
      <label>
        Key{' '}
        <select name="key">
          <option value="">every key</option>
          <option value="master" selected={f.key === 'master'}>
            master
          </option>
          {props.keys.map((k) => (
            <option value={k.id} selected={f.key === k.id}>
              {`${k.name} (${k.id})`}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">
        Show
      </button>
    </form>
  );
}

export function UsagePage(props: UsagePageProps) {
  const { report, window } = props;
  const days = daysOf(window);
  const { models, value, totals } = byDayAndModel(report);
  const t = report.totals;
  const span = `${new Date(window.from).toISOString().slice(0, 16).replace('T', ' ')} to ${new Date(window.to).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return (
    <Layout title="Usage" session={props.session} active="usage">
      <div class="row-between">
        <h1>Usage</h1>
        <RangeForm form={props.form} keys={props.keys} />
      </div>
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <p class="muted small">{`${span}. Credits are what keys were charged (captured); holds of tasks in flight and refunds are in the table.`}</p>
      <div class="grid2 admin-totals">
        <section class="card">
          <h2>Credits charged</h2>
          <p class="admin-big num">{fmt(t.credits_captured)}</p>
          <p class="muted small">{`${fmt(t.credits_held)} held · ${fmt(t.credits_released)} released`}</p>
        </section>
        <section class="card">
          <h2>Tasks</h2>
          <p class="admin-big num">{String(t.tasks_created)}</p>
          <p class="muted small">{`${t.tasks_completed} completed · ${t.tasks_failed} failed · ${t.tasks_canceled} canceled · ${t.tasks_refunded} refunded`}</p>
        </section>
      </div>
      <section class="card chart">
        <h2>Credits per day, by model</h2>
        {models.length === 0 ? <p class="muted">No usage in this window.</p> : <Legend models={models} />}
        <StackedDayChart days={days} models={models} value={value} label="Credits charged per UTC day, stacked by model" />
      </section>
      <section class="card chart">
        <h2>Credits per model</h2>
        {models.length === 0 ? <p class="muted">No usage in this window.</p> : <ModelTotalsChart totals={totals} label="Credits charged per model" />}
      </section>
      <section class="card">
        <h2>The numbers</h2>
        {report.rows.length === 0 ? (
          <p class="muted">No ledger entries in this window.</p>
        ) : (
          <table class="usage-rows">
            <thead>
              <tr>
                <th>Day (UTC)</th>
                <th>Key</th>
                <th>Model</th>
                <th>Tier</th>
                <th class="num">Created</th>
                <th class="num">Completed</th>
                <th class="num">Failed</th>
                <th class="num">Canceled</th>
                <th class="num">Held</th>
                <th class="num">Charged</th>
                <th class="num">Released</th>
              </tr>
            </thead>
            <tbody>
              {report.rows.map((r) => (
                <tr>
                  <td>{r.day}</td>
                  <td class="small">
                    {r.key_name ?? 'master'} <span class="mono muted">{r.key_id}</span>
                  </td>
                  <td>{r.model}</td>
                  <td>{r.tier}</td>
                  {counterCells(r, 'td')}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th colspan={4}>Total</th>
                {counterCells(t, 'th')}
              </tr>
            </tfoot>
          </table>
        )}
      </section>
    </Layout>
  );
}
