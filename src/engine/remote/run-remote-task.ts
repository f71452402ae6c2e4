/**
 * One attempt at a leased remote task: submit it (once), or check on it, then hand the lease back
 * until the next check. A task waiting on an upstream holds no worker: it sleeps in the tasks
 * table with its own `due_at`, so polling reads only due tasks, never all of them. A callback
 * makes the task due at once; the check that follows acts, on the callback's body when the
 * provider can read a final outcome in it (Kling), else on the upstream's answer to a query.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { UpstreamState } from '../../providers/remote-provider.ts';
import { isUpstreamError } from '../../providers/upstream-error.ts';
import { ROUTE_PENDING } from '../../store/upstream-tasks.ts';
import type { Channel } from '../channel-router.ts';
import { cancelIfRequested, completeUnlessCanceled } from '../finish-task.ts';
import { MirrorError, mirrorVideos } from '../mirror-videos.ts';
import { jittered, nextCheckDelay, plannedFirstCheckMs, retryDelay } from '../poll-schedule.ts';
import { deferRemote, failRemote, type RemoteAttempt, type RemoteTaskDeps } from './remote-attempt.ts';
import { resolveUnknownSubmit, routeAndSubmit } from './submit-remote-task.ts';
import type { Attempt } from '../run-local-task.ts';

/** Copies of a finished video that may fail (expired or unreachable URLs) before the task fails. */
export const MAX_MIRROR_FAILURES = 5;

/** Ends when the attempt is over: the task is terminal, handed back for later, or the lease was lost. */
export async function runRemoteTask(deps: RemoteTaskDeps, attempt: Attempt): Promise<void> {
  const a: RemoteAttempt = { deps, task: attempt.task, token: attempt.token, signal: attempt.signal, status: attempt.task.status };
  const { task } = a;
  // A cancel asked while a submit was in flight that the upstream then refused: nothing was sent, end it now.
  if (task.provider === ROUTE_PENDING && task.cancelRequestedAt !== null && (await cancelIfRequested(deps, a, a.status, null))) return;
  if (task.provider === ROUTE_PENDING) return routeAndSubmit(a);
  const channel = deps.router.get(task.provider);
  if (!channel) {
    await failRemote(a, 'provider_unavailable', `the task's upstream channel ${task.provider} is no longer configured`);
    return;
  }
  if (task.upstreamId === null) return resolveUnknownSubmit(a, channel);
  return checkOn(a, channel, task.upstreamId);
}

async function checkOn(a: RemoteAttempt, channel: Channel, upstreamId: string): Promise<void> {
  const { deps, task } = a;
  const settings = channel.config;
  // The timeout applies only while the upstream says "not yet" or cannot answer: a task it has
  // finished (and charged for) is collected however late Reelay asks, e.g. after a long outage.
  const since = task.submitStartedAt ?? task.createdAt;
  const timedOut = async (): Promise<boolean> => {
    if (deps.now() - since <= settings.taskTimeoutMs) return false;
    await failRemote(a, 'upstream_timeout', `the upstream did not finish the task within ${settings.taskTimeoutMs / 1000} s`);
    return true;
  };
  // An upstream whose callbacks carry what its status answer says (Kling) has told us already: no
  // query, which the channel's requests_per_second would have to make room for. The callback came
  // to a URL with this task's HMAC token, and its video URLs pass the same download guard as a
  // query's. A body that cannot be read (or names another task) means asking, as before. Callbacks
  // come one per status change, seconds apart; should an older one still arrive after a newer one,
  // it is read as the newer state until the next scheduled check asks the upstream.
  let state: UpstreamState | null = await reportedState(a, channel, upstreamId);
  const fromCallback = state !== null;
  if (state) {
    deps.log.debug({ taskId: task.id, channel: settings.name, state: state.state }, 'state taken from the upstream callback');
  } else {
    try {
      // A check that works says nothing about the channel's account (a channel in arrears still
      // answers queries), so only submits clear a channel's cool-down.
      state = await channel.provider.check({ upstreamId, kind: task.kind }, a.signal);
    } catch (e) {
      if (a.signal.aborted) return;
      if (!isUpstreamError(e)) throw e;
      deps.router.recordError(settings.name, e, deps.now());
      if (e.errorClass === 'not_found') {
        await failRemote(a, 'upstream_failed', `the upstream no longer knows its task ${upstreamId}`);
        return;
      }
      deps.log.warn({ taskId: task.id, channel: settings.name, errorClass: e.errorClass, code: e.code, message: e.message }, 'upstream check failed');
      if (await timedOut()) return;
      await deferRemote(a, e.retryAfterMs !== null ? retryDelay(e.retryAfterMs, task.checks, settings, deps.random) : nextCheckDelay(settings, task.checks, deps.random));
      return;
    }
  }
  switch (state.state) {
    case 'pending':
      if (await timedOut()) return;
      return pending(a, channel, state.phase, state.progress, fromCallback);
    case 'succeeded':
      return succeeded(a, channel, state);
    case 'failed':
    case 'canceled':
      await failRemote(a, 'upstream_failed', state.message || 'the upstream failed the task without a reason');
      return;
  }
}

/** The state the task's unread callback body reports, or null. */
async function reportedState(a: RemoteAttempt, channel: Channel, upstreamId: string): Promise<UpstreamState | null> {
  const parse = channel.provider.parseCallback;
  // After a failed copy the upstream is asked for fresh links: a callback's may be the stale ones.
  if (!parse || a.task.nudges === 0 || a.task.mirrorFailures > 0) return null;
  const body = await a.deps.upstream.callbackBody(a.task.id);
  return body === null ? null : parse(body, { upstreamId, kind: a.task.kind });
}

async function pending(a: RemoteAttempt, channel: Channel, phase: 'queued' | 'running', upstreamProgress: number | null, fromCallback: boolean): Promise<void> {
  const { deps, task } = a;
  const now = deps.now();
  let delay = nextCheckDelay(channel.config, task.checks, deps.random);
  // A "started" or "rendering" callback says nothing about when the render ends: the next check
  // keeps the plan the submit made (its first check), which the callback's nudge replaced.
  if (fromCallback) delay = Math.max(delay, (task.submitStartedAt ?? task.createdAt) + plannedFirstCheckMs(channel.config) - now);
  if (phase === 'running' && a.status === 'queued') {
    if (!(await deps.upstream.running(task.id, a.token, 0, now))) return;
    a.status = 'running';
  }
  const progress = a.status === 'running' ? (upstreamProgress ?? estimatedProgress(a, channel, now)) : undefined;
  await deferRemote(a, delay, progress === undefined ? {} : { progress: clampProgress(progress) });
}

/** Kling reports no progress: estimate it from the time spent against the expected render time, never past 95. */
function estimatedProgress(a: RemoteAttempt, channel: Channel, now: number): number | undefined {
  const expected = channel.config.expectedRenderMs;
  const since = a.task.startedAt ?? a.task.submitStartedAt;
  if (expected <= 0 || since === null) return undefined;
  return Math.min(95, Math.floor((100 * (now - since)) / expected));
}

function clampProgress(p: number): number {
  return Math.max(0, Math.min(99, Math.round(p)));
}

async function succeeded(a: RemoteAttempt, channel: Channel, state: Extract<UpstreamState, { state: 'succeeded' }>): Promise<void> {
  const { deps, task } = a;
  // Kling has no upstream cancel (spec §1.6): the client's cancel discards the finished result
  // without downloading it, and what the upstream charged stays on the task for billing.
  if (task.cancelRequestedAt !== null && (await cancelIfRequested(deps, a, a.status, { units: state.unitsCharged }))) return;
  if (a.status === 'queued') {
    if (!(await deps.upstream.running(task.id, a.token, 0, deps.now()))) return;
    a.status = 'running';
  }
  const workDir = path.join(deps.workRoot, `${task.id}-${a.token.slice(-8)}`);
  await mkdir(workDir, { recursive: true });
  try {
    const videos = await mirrorVideos({ storage: deps.storage, probe: deps.probe, download: (url) => deps.download(channel, url) }, task, state.videos, { workDir, signal: a.signal });
    if (a.signal.aborted) return;
    await completeUnlessCanceled(deps, a, { videos }, { units: state.unitsCharged });
  } catch (e) {
    if (a.signal.aborted) return;
    if (!(e instanceof MirrorError)) throw e;
    if (e.retryable && task.mirrorFailures + 1 < MAX_MIRROR_FAILURES) {
      deps.log.warn({ taskId: task.id, channel: channel.config.name, message: e.message }, 'mirroring failed; asking the upstream again for fresh links');
      await deferRemote(a, jittered(1000 * 2 ** task.mirrorFailures, deps.random), { mirrorFailed: true });
      return;
    }
    await failRemote(a, e.stage === 'store' ? 'storage_failed' : 'mirror_failed', e.message);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
