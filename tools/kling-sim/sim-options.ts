/**
 * Parsing the simulator's command-line and KLING_SIM_* values (`reelay sim`) into option
 * pieces. Each parser throws an Error whose message says what was expected; the CLI shows it.
 */
import { KLING_ERROR_CODES } from './sim-errors.ts';

/** "5000=0.1" or "5000=0.1,1303=0.05" (an environment variable holds the whole list); adds to `previous`. */
export function parseErrorRates(value: string, previous: Partial<Record<number, number>> = {}): Partial<Record<number, number>> {
  const out = { ...previous };
  for (const item of value.split(/[\s,]+/).filter((s) => s !== '')) {
    const match = /^(\d{4})=(.+)$/.exec(item);
    if (!match?.[1] || match[2] === undefined) throw new Error(`'${item}' is not <code>=<rate>, e.g. 5000=0.1`);
    const code = Number(match[1]);
    if (!KLING_ERROR_CODES.includes(code)) throw new Error(`${code} is not a Kling error code (${KLING_ERROR_CODES.join(', ')})`);
    out[code] = parseRate(match[2]);
  }
  return out;
}

/** A probability: a number from 0 to 1. */
export function parseRate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new Error(`'${value}' is not a rate between 0 and 1`);
  return n;
}

/** "50-200" (uniform between) or "100" (fixed). */
export function parseLatency(value: string): { min: number; max: number } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$/.exec(value);
  if (!match?.[1]) throw new Error(`'${value}' is not <min>-<max> milliseconds, e.g. 50-200`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (min > max) throw new Error(`latency ${value}: min is above max`);
  return { min, max };
}

export function parseNonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new Error(`'${value}' is not a whole number >= 0`);
  return n;
}

export function parsePositiveInteger(value: string): number {
  const n = parseNonNegativeInteger(value);
  if (n < 1) throw new Error(`'${value}' must be at least 1`);
  return n;
}

export function parsePort(value: string): number {
  const n = parseNonNegativeInteger(value);
  if (n > 65535) throw new Error(`'${value}' is not a port (0-65535)`);
  return n;
}

/** The channel a Reelay config needs to use this simulator as its `kling` upstream. */
export function channelConfig(input: {
  url: string;
  accessKey: string;
  secretKey: string;
  concurrency: number;
  schedule: { submittedMs: number; processingMs: number };
}): { channels: Array<Record<string, string | number>> } {
  return {
    channels: [
      {
        name: 'sim',
        provider: 'kling',
        base_url: input.url,
        access_key: input.accessKey,
        secret_key: input.secretKey,
        expected_render_seconds: (input.schedule.submittedMs + input.schedule.processingMs) / 1000,
        poll_interval_seconds: 1,
        max_concurrency: input.concurrency,
      },
    ],
  };
}
