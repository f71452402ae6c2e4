/** A usage report as a plain-text table for a terminal: one line a row, then a totals line. */
import type { UsageReport, UsageTotals } from '../billing/usage.ts';

const HEADER = ['day', 'key', 'name', 'model', 'tier', 'captured', 'held', 'released', 'created', 'completed', 'failed', 'canceled', 'refunded'];
/** Columns from `captured` on are numbers: right-aligned. */
const FIRST_NUMBER = HEADER.indexOf('captured');

function figures(t: UsageTotals): string[] {
  return [t.credits_captured, t.credits_held, t.credits_released, t.tasks_created, t.tasks_completed, t.tasks_failed, t.tasks_canceled, t.tasks_refunded].map(String);
}

export function usageTable(report: UsageReport & { from: string; to: string }): string {
  const lines = [
    HEADER,
    ...report.rows.map((r) => [r.day, r.key_id, r.key_name ?? '-', r.model, r.tier, ...figures(r)]),
    ['total', '', '', '', '', ...figures(report.totals)],
  ];
  const widths = HEADER.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (i >= FIRST_NUMBER ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const title = `usage from ${report.from} to ${report.to} (exclusive); captured, held, released in credits, the rest in tasks`;
  return [title, ...lines.map(render)].join('\n');
}
