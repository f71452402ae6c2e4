/**
 * The time window of a usage report, from what a caller wrote (`GET /admin/usage?from=&to=`,
 * `reelay usage --from --to`): an RFC 3339 date-time or a plain date (UTC midnight). `from` is
 * inclusive and `to` exclusive, so `from=2026-11-01&to=2026-12-01` is November. Without them: the
 * last 30 days up to now.
 */
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { MS_PER_DAY } from './usage.ts';

export const DEFAULT_USAGE_DAYS = 30;

export type UsageWindow = { from: number; to: number };

const dateTime = z.iso.datetime({ offset: true });
const date = z.iso.date();

/** Epoch ms of `value`, or null when it is neither form. */
function instant(value: string): number | null {
  if (!dateTime.safeParse(value).success && !date.safeParse(value).success) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function parseBound(field: 'from' | 'to', value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = instant(value);
  if (ms === null) {
    const rule = field === 'from' ? 'inclusive' : 'exclusive';
    throw new AppError('invalid_parameter', `${field} must be an RFC 3339 date-time (e.g. 2026-11-01T00:00:00Z) or a date (2026-11-01, UTC midnight; ${rule}), not ${JSON.stringify(value.slice(0, 64))}`, { field });
  }
  return ms;
}

/** The window the caller asked for; throws invalid_parameter naming `from` or `to`. */
export function parseUsageWindow(input: { from?: string | undefined; to?: string | undefined }, now: number): UsageWindow {
  const from = parseBound('from', input.from);
  const to = parseBound('to', input.to) ?? now;
  const window = { from: from ?? to - DEFAULT_USAGE_DAYS * MS_PER_DAY, to };
  if (window.from >= window.to) {
    throw new AppError('invalid_parameter', `from (${new Date(window.from).toISOString()}) must be before to (${new Date(window.to).toISOString()})`, { field: 'from' });
  }
  return window;
}
