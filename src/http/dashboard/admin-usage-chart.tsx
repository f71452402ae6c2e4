/**
 * Bar charts as inline SVG, drawn on the server: no chart library and no script, so the CSP
 * stays strict and the page works without JS. Colours come from classes (`series-N`) in
 * dashboard.css, not inline styles, which the CSP forbids; each bar carries its numbers in
 * `data-*` and a `<title>` tooltip.
 */

/** Series colours cycle after this many models. */
const SERIES = 8;

export const seriesClass = (index: number) => `series-${index % SERIES}`;

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });

/** A round axis maximum at or above `max` (1, 2, 2.5 or 5 times a power of ten). */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * p >= max) ?? 10;
  return step * p;
}

export type DaySeries = {
  days: readonly string[];
  models: readonly string[];
  /** credits by day, then by model; a missing entry is 0. */
  value: (day: string, model: string) => number;
};

const W = 900;
const H = 260;
const LEFT = 56;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 28;

/** Credits per day, each day's bar stacked by model. */
export function StackedDayChart(props: DaySeries & { label: string }) {
  const { days, models, value } = props;
  const totals = days.map((d) => models.reduce((s, m) => s + value(d, m), 0));
  const top = niceMax(Math.max(0, ...totals));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(1, slot * 0.75);
  const y = (v: number) => TOP + plotH - (v / top) * plotH;
  const labelEvery = Math.max(1, Math.ceil(days.length / 10));
  return (
    <svg class="usage-days" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={props.label}>
      <title>{props.label}</title>
      {[0, 0.5, 1].map((f) => (
        <>
          <line class="axis" x1={LEFT} x2={W - RIGHT} y1={y(top * f)} y2={y(top * f)} />
          <text x={LEFT - 6} y={y(top * f) + 4} text-anchor="end">
            {fmt(top * f)}
          </text>
        </>
      ))}
      {days.map((day, i) => {
        const x = LEFT + i * slot + (slot - barW) / 2;
        let base = 0;
        return (
          <g data-day={day}>
            {models.map((model, mi) => {
              const v = value(day, model);
              if (v <= 0) return null;
              const y0 = y(base);
              base += v;
              const y1 = y(base);
              return (
                <rect class={`bar ${seriesClass(mi)}`} x={x.toFixed(1)} y={y1.toFixed(1)} width={barW.toFixed(1)} height={Math.max(0.5, y0 - y1).toFixed(1)} data-day={day} data-model={model} data-credits={String(v)}>
                  <title>{`${day} · ${model}: ${fmt(v)} credits`}</title>
                </rect>
              );
            })}
            {i % labelEvery === 0 ? (
              <text x={(LEFT + i * slot + slot / 2).toFixed(1)} y={H - 8} text-anchor="middle">
                {day.slice(5)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** One horizontal bar per model, its total written beside it. */
export function ModelTotalsChart(props: { totals: ReadonlyArray<{ model: string; credits: number; tasks: number }>; label: string }) {
  const rowH = 28;
  const labelW = 150;
  const numW = 170;
  const h = Math.max(1, props.totals.length) * rowH + 8;
  const top = Math.max(0, ...props.totals.map((t) => t.credits));
  const plotW = W - labelW - numW;
  return (
    <svg class="usage-models" viewBox={`0 0 ${W} ${h}`} width={W} height={h} role="img" aria-label={props.label}>
      <title>{props.label}</title>
      {props.totals.map((t, i) => {
        const w = top > 0 ? Math.max(t.credits > 0 ? 1 : 0, (t.credits / top) * plotW) : 0;
        const y = 4 + i * rowH;
        return (
          <g data-model={t.model}>
            <text x={labelW - 8} y={y + rowH / 2 + 2} text-anchor="end">
              {t.model}
            </text>
            <rect class={`bar ${seriesClass(i)}`} x={labelW} y={y + 4} width={w.toFixed(1)} height={rowH - 10} data-model={t.model} data-credits={String(t.credits)}>
              <title>{`${t.model}: ${fmt(t.credits)} credits, ${t.tasks} task(s)`}</title>
            </rect>
            <text x={labelW + w + 6} y={y + rowH / 2 + 2}>
              {`${fmt(t.credits)} credits · ${t.tasks} task(s)`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function Legend(props: { models: readonly string[] }) {
  return (
    <ul class="legend">
      {props.models.map((m, i) => (
        <li>
          <span class={`swatch ${seriesClass(i)}`}></span>
          {m}
        </li>
      ))}
    </ul>
  );
}
