import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MS_PER_DAY } from '../../src/billing/usage.ts';
import { parseUsageWindow } from '../../src/billing/usage-window.ts';
import { appErrorOf, expectFieldRefusal } from '../support/app-error.ts';

const NOW = Date.UTC(2026, 10, 21, 15, 30);

describe('usage window', () => {
  it('is the last 30 days up to now when neither end is given', () => {
    expect(parseUsageWindow({}, NOW)).toEqual({ from: NOW - 30 * MS_PER_DAY, to: NOW });
  });

  it('reads a plain date as UTC midnight, `to` exclusive, and 30 days before `to` without `from`', () => {
    expect(parseUsageWindow({ from: '2026-11-01', to: '2026-12-01' }, NOW)).toEqual({ from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) });
    expect(parseUsageWindow({ to: '2026-12-01' }, NOW)).toEqual({ from: Date.UTC(2026, 11, 1) - 30 * MS_PER_DAY, to: Date.UTC(2026, 11, 1) });
  });

  it('reads RFC 3339 date-times with any offset and fraction', () => {
    expect(parseUsageWindow({ from: '2026-11-20T12:00:00+02:00', to: '2026-11-21T00:00:00.5Z' }, NOW)).toEqual({
      from: Date.UTC(2026, 10, 20, 10),
      to: Date.UTC(2026, 10, 21) + 500,
    });
  });

  it('refuses what is neither, naming the field', () => {
    for (const [field, value] of [
      ['from', 'yesterday'],
      ['from', '2026-11-20T12:00:00'],
      ['to', '2026-02-30'],
      ['to', '1700000000000'],
      ['to', ''],
    ] as const) {
      const e = appErrorOf(() => parseUsageWindow({ [field]: value }, NOW));
      expect(e).toMatchObject({ code: 'invalid_parameter', field });
      expect(e.message).toMatch(new RegExp(`^${field} must be an RFC 3339 date-time`));
    }
  });

  it('refuses a window that ends before it starts', () => {
    const e = appErrorOf(() => parseUsageWindow({ from: '2026-11-21', to: '2026-11-21' }, NOW));
    expect(e).toMatchObject({ code: 'invalid_parameter', field: 'from', message: 'from (2026-11-21T00:00:00.000Z) must be before to (2026-11-21T00:00:00.000Z)' });
  });

  it('answers any input with a window or a 400 naming its field, never anything else', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), (from, to) => {
        try {
          const w = parseUsageWindow({ from, to }, NOW);
          expect(w.from).toBeLessThan(w.to);
        } catch (e) {
          expectFieldRefusal(e);
        }
      }),
    );
  });
});
