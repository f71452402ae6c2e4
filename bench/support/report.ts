/** What a benchmark reports: rows compared against their baseline and target, printed and written to docs/benchmarks.md. */
export type Row = { what: string; baseline: string; reelay: string; ratio?: string; target: string; met: boolean | null };
export type Section = { title: string; rows: Row[]; notes: string[] };

export const fmt = {
  rps: (n: number) => `${Math.round(n).toLocaleString('en-US')} req/s`,
  ms: (n: number) => `${n.toFixed(1)} ms`,
  pct: (n: number) => `${(n * 100).toFixed(0)} %`,
  mbps: (bytesPerSecond: number) => `${(bytesPerSecond / 1024 / 1024).toFixed(0)} MiB/s`,
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`,
};

export function markdown(section: Section): string {
  const lines = [`## ${section.title}`, '', '| what | baseline | Reelay | Reelay / baseline | target | met |', '|---|---|---|---|---|---|'];
  for (const r of section.rows) lines.push(`| ${r.what} | ${r.baseline} | ${r.reelay} | ${r.ratio ?? '—'} | ${r.target} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`);
  if (section.notes.length > 0) lines.push('', ...section.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}
