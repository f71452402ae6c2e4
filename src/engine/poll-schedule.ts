/**
 * When to look at a remote task next. The first check comes after the channel's expected render
 * time (asking earlier only spends requests); then the interval grows by half per check up to the
 * channel's maximum. Every delay is jittered by ±20 % so tasks submitted together do not poll
 * together. Callbacks usually make these checks reconciliation only.
 */
export type PollSettings = {
  expectedRenderMs: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** The upstream calls back: checks only reconcile, so the first one waits longer. */
  callbacks?: boolean | undefined;
};

const GROWTH = 1.5;
const JITTER = 0.2;

export function jittered(ms: number, random: () => number): number {
  return Math.max(0, Math.round(ms * (1 - JITTER + 2 * JITTER * random())));
}

/**
 * With callbacks on, the first check waits half as long again as the render is expected to take:
 * the callback normally says "done" first, and a check at the expected time would find most
 * tasks still rendering (bench/engine.ts: 0.9 status queries per task, queued behind the
 * channel's requests_per_second, against 0.05 with this wait).
 */
const CALLBACK_RECONCILE = 1.5;

/** When, after the submit, the first check is planned (before jitter). */
export function plannedFirstCheckMs(settings: PollSettings): number {
  return settings.callbacks ? Math.round(settings.expectedRenderMs * CALLBACK_RECONCILE) : settings.expectedRenderMs;
}

/** Delay before the first check after the upstream accepted the task. */
export function firstCheckDelay(settings: PollSettings, random: () => number): number {
  return jittered(plannedFirstCheckMs(settings), random);
}

/** Delay before the next check, after `checks` checks so far. */
export function nextCheckDelay(settings: PollSettings, checks: number, random: () => number): number {
  const grown = settings.pollIntervalMs * GROWTH ** Math.min(checks, 60);
  return jittered(Math.min(settings.maxPollIntervalMs, grown), random);
}

/**
 * Back-off for a call to try again (1302/1303, a lookup that got no answer, a full channel): from
 * 1 s (Kling's advice for 1303), doubling per try, at most a minute or the channel's longest poll
 * interval, whichever is shorter.
 */
export function retryDelay(retryAfterMs: number | null, tries: number, settings: PollSettings, random: () => number): number {
  // Never sooner than the upstream asked: jitter only adds to a Retry-After.
  if (retryAfterMs !== null) return Math.ceil(Math.max(retryAfterMs, 250) * (1 + JITTER * random()));
  const cap = Math.min(60_000, settings.maxPollIntervalMs);
  return jittered(Math.min(cap, 1000 * 2 ** Math.min(tries, 10)), random);
}
