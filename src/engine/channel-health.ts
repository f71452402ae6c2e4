/**
 * A channel's health, as a value: how an upstream error or a successful submit changes it. A
 * channel that answered with a credentials or account error cools down (30 s, doubling per
 * repeat, at most 10 min) and is skipped meanwhile; a successful submit clears it. Pure, so one
 * instance can apply it to the state every instance shares (store/channel-states.ts) under a lock.
 */
import { createHash } from 'node:crypto';
import type { ChannelConfig } from '../config.ts';
import type { ChannelHealthRecord } from '../store/channel-states.ts';
import { UPSTREAM_ERROR_CLASSES, type UpstreamError, type UpstreamErrorClass } from '../providers/upstream-error.ts';

export type ChannelError = { at: number; errorClass: UpstreamErrorClass; code: string; message: string };

export type HealthState = {
  unhealthyUntil: number | null;
  consecutive: number;
  lastSuccessAt: number | null;
  /** Newest first, at most RECENT_ERRORS. */
  errors: ChannelError[];
};

export const RECENT_ERRORS = 20;
const COOL_DOWN_MS = 30_000;
const MAX_COOL_DOWN_MS = 10 * 60_000;

export const initialHealth = (): HealthState => ({ unhealthyUntil: null, consecutive: 0, lastSuccessAt: null, errors: [] });

export function afterError(s: HealthState, error: UpstreamError, now: number): HealthState {
  const errors = [{ at: now, errorClass: error.errorClass, code: error.code, message: error.message }, ...s.errors].slice(0, RECENT_ERRORS);
  if (error.errorClass !== 'channel') return { ...s, errors };
  const consecutive = s.consecutive + 1;
  return { ...s, errors, consecutive, unhealthyUntil: now + Math.min(MAX_COOL_DOWN_MS, COOL_DOWN_MS * 2 ** (consecutive - 1)) };
}

export function afterSuccess(s: HealthState, now: number): HealthState {
  return { ...s, consecutive: 0, unhealthyUntil: null, lastSuccessAt: Math.max(now, s.lastSuccessAt ?? 0) };
}

const isErrorClass = (v: string): v is UpstreamErrorClass => (UPSTREAM_ERROR_CLASSES as readonly string[]).includes(v);

/** The stored record read back (an error class this version does not know reads as ambiguous). */
export function fromRecord(r: ChannelHealthRecord): HealthState {
  return {
    unhealthyUntil: r.unhealthyUntil,
    consecutive: r.consecutiveFailures,
    lastSuccessAt: r.lastSuccessAt,
    errors: r.recentErrors.map((e) => ({ ...e, errorClass: isErrorClass(e.errorClass) ? e.errorClass : 'ambiguous' })),
  };
}

export function toRecord(s: HealthState): ChannelHealthRecord {
  return { unhealthyUntil: s.unhealthyUntil, consecutiveFailures: s.consecutive, lastSuccessAt: s.lastSuccessAt, recentErrors: s.errors };
}

/**
 * What identifies a channel's account: its provider, address and credentials. When an operator
 * changes them (say, after fixing a wrong key), the stored cool-down no longer applies. Only a
 * hash is stored, never the credentials.
 */
export function channelFingerprint(c: Pick<ChannelConfig, 'provider' | 'baseUrl' | 'accessKey' | 'secretKey' | 'apiKey'>): string {
  return createHash('sha256').update(JSON.stringify([c.provider, c.baseUrl, c.accessKey, c.secretKey, c.apiKey])).digest('hex').slice(0, 32);
}
