/**
 * When to look at a remote task next. The first check comes after the channel's expected render
 * time (asking earlier only spends requests); then the interval grows by half per check up to the
 * channel's maximum. Every delay is jittered by ±20 % so tasks submitted together do not poll
 * together. Callbacks usually make these checks reconciliation only.
 */
export type PollSettings = { expectedRenderMs: number; pollIntervalMs: number; maxPollIntervalMs: number };

const GROWTH = 1.5;
const JITTER = 0.2;

export function jittered(ms: number, random: () => number): number {
  return Math.max(0, Math.round(ms * (1 - JITTER + 2 * JITTER * random())));
}

/** Delay before the first check after the upstream accepted the task. */
export function firstCheckDelay(settings: PollSettings, random: () => number): number {
  return jittered(settings.expectedRenderMs, random);
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
