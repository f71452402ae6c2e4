/**
 * Getting a queued task accepted upstream, exactly once. A channel slot is reserved and the
 * submit marked in the database before the request leaves, so after a crash or an ambiguous
 * answer (5xx, timeout, reset) the next attempt asks that channel for the task by Reelay's id
 * instead of submitting again: one Reelay task is never two paid upstream tasks. Failover to
 * another channel happens only on a definite "not accepted".
 */
import type { TaskFailureCode } from '../../domain/task.ts';
import { UpstreamError, isUpstreamError } from '../../providers/upstream-error.ts';
import type { Channel } from '../channel-router.ts';
import { firstCheckDelay, jittered, retryDelay } from '../poll-schedule.ts';
import { deferRemote, failRemote, type RemoteAttempt } from './remote-attempt.ts';

/** How long after an ambiguous submit the lookup is tried (the upstream may still be writing the task). */
const AMBIGUOUS_RETRY_MS = 1000;

/** A rejected request's failure code: content policy and parameter refusals keep their meaning. */
export function rejectionCode(e: UpstreamError): TaskFailureCode {
  if (e.code === '1300' || e.code === '1301' || /content|policy|safety/i.test(e.code)) return 'content_policy';
  if (/^120[0-3]$/.test(e.code) || /invalid_param|invalid_request/i.test(e.code)) return 'invalid_parameter';
  return 'upstream_rejected';
}

function asUpstreamError(e: unknown): UpstreamError {
  if (isUpstreamError(e)) return e;
  // A bug or an unexpected throw after the request may have left: treat it as unknown, never as "not sent".
  return new UpstreamError('ambiguous', 'internal', (e as Error).message ?? String(e), { cause: e });
}

/** Picks a channel and submits; a task whose model no channel serves goes to the local renderer. */
export async function routeAndSubmit(a: RemoteAttempt): Promise<void> {
  const { deps, task } = a;
  if (!deps.router.serves(task.request.model)) {
    await deps.upstream.toLocal(task.id, a.token, deps.now());
    return;
  }
  const routing = deps.router.route(task.request, task.kind, deps.now());
  // A task no upstream accepts (always 1303, always full) must not wait forever: it fails, and
  // its hold is released, after the longest task timeout of the channels that could take it.
  const queueLimit = Math.max(0, ...[...routing.order, ...routing.coolingDown].map((c) => c.config.taskTimeoutMs));
  if (queueLimit > 0 && deps.now() - task.createdAt > queueLimit) {
    await failRemote(a, 'upstream_unavailable', `no upstream accepted the task within ${Math.round(queueLimit / 1000)} s`);
    return;
  }
  if (routing.order.length === 0) {
    if (routing.coolingDown.length > 0) {
      const why = routing.coolingDown.map((c) => deps.router.health(c.config.name, deps.now()).recentErrors[0]?.message ?? 'unavailable');
      await failRemote(a, 'upstream_unavailable', `no upstream can take the task now: ${[...new Set(why)].join('; ')}`);
    } else {
      await failRemote(a, 'upstream_rejected', `no upstream can express this request: ${routing.unsupported.join('; ')}`);
    }
    return;
  }
  let full = 0;
  let lastRefusal: UpstreamError | null = null;
  for (const channel of routing.order) {
    if (!(await deps.upstream.reserve(task.id, a.token, channel.config.name, channel.config.maxConcurrency, deps.now()))) {
      full += 1;
      continue;
    }
    const outcome = await submitOn(a, channel);
    if (outcome === 'done') return;
    lastRefusal = outcome;
  }
  if (full > 0) {
    // Every channel that would take it is at its max_concurrency: wait for a slot.
    const settings = routing.order[0]?.config;
    await deferRemote(a, settings ? retryDelay(null, Math.min(task.checks, 3), settings, deps.random) : 1000);
    return;
  }
  await failRemote(a, 'upstream_unavailable', `no upstream accepted the task: ${lastRefusal?.message ?? 'every channel refused'}`);
}

/**
 * Submits on a channel whose slot this attempt holds. 'done' when the attempt is over (accepted,
 * deferred or failed); the channel's error when it refused definitely and the slot is released,
 * so the caller may try the next channel.
 */
export async function submitOn(a: RemoteAttempt, channel: Channel): Promise<'done' | UpstreamError> {
  const { deps, task } = a;
  const name = channel.config.name;
  const upstreamModel = channel.models[task.request.model] ?? task.request.model;
  try {
    const { upstreamId } = await channel.provider.submit(
      { reelayId: task.id, kind: task.kind, request: task.request, upstreamModel, callbackUrl: channel.config.callbacks ? deps.callbackUrl(task.id) : null },
      a.signal,
    );
    deps.router.recordSuccess(name, deps.now());
    const now = deps.now();
    if (!(await deps.upstream.accepted(task.id, a.token, upstreamId, { checkAt: now + firstCheckDelay(channel.config, deps.random), seenNudges: task.nudges }, now))) {
      deps.log.error({ taskId: task.id, channel: name, upstreamId }, 'lease lost after the upstream accepted the task; the next attempt finds it by lookup');
    }
    deps.log.info({ taskId: task.id, channel: name, upstreamId }, 'upstream accepted the task');
    return 'done';
  } catch (thrown) {
    // Aborted (shutdown, lost lease): the slot and the submit marker stay, so the next attempt looks it up.
    if (a.signal.aborted) return 'done';
    let e = asUpstreamError(thrown);
    // A submit answered "no such route" means a wrong base URL: the channel, not the task, is broken.
    if (e.errorClass === 'not_found') e = new UpstreamError('channel', e.code, e.message, { httpStatus: e.httpStatus });
    // "external_task_id already used" means our earlier submit did arrive (a lookup right after an
    // ambiguous answer can miss it): look it up again, never fail a task that exists upstream.
    if (e.errorClass === 'rejected' && /external_task_id/i.test(e.message)) e = new UpstreamError('ambiguous', e.code, e.message, { httpStatus: e.httpStatus });
    deps.router.recordError(name, e, deps.now());
    deps.log.warn({ taskId: task.id, channel: name, errorClass: e.errorClass, code: e.code, message: e.message }, 'upstream submit failed');
    switch (e.errorClass) {
      case 'throttled':
        await deps.upstream.release(task.id, a.token, deps.now());
        await deferRemote(a, retryDelay(e.retryAfterMs, task.checks, channel.config, deps.random));
        return 'done';
      case 'ambiguous':
        await deferRemote(a, jittered(AMBIGUOUS_RETRY_MS, deps.random));
        return 'done';
      case 'rejected':
        await failRemote(a, rejectionCode(e), e.message);
        return 'done';
      default:
        await deps.upstream.release(task.id, a.token, deps.now());
        return e;
    }
  }
}

/**
 * A submit to `channel` began but its outcome is unknown (an ambiguous answer, or a crash): ask
 * the channel for the task by Reelay's id; adopt it when found, submit again only when the
 * upstream says it has none.
 */
export async function resolveUnknownSubmit(a: RemoteAttempt, channel: Channel): Promise<void> {
  const { deps, task } = a;
  const lookup = channel.provider.lookup;
  if (!lookup) {
    await failRemote(
      a,
      'upstream_unknown',
      'the upstream did not confirm the submit and offers no lookup by Reelay task id; the task was not sent again so it is never paid twice',
    );
    return;
  }
  // The deadline applies only when the upstream still cannot say: a task it has is adopted however late.
  const startedAt = task.submitStartedAt ?? task.createdAt;
  const pastDeadline = () => deps.now() - startedAt > channel.config.taskTimeoutMs;
  const giveUp = () => failRemote(a, 'upstream_unknown', `the upstream did not confirm the submit within ${channel.config.taskTimeoutMs / 1000} s`);
  let found: { upstreamId: string } | null;
  try {
    found = await lookup({ reelayId: task.id, kind: task.kind }, a.signal);
  } catch (thrown) {
    if (a.signal.aborted) return;
    const e = asUpstreamError(thrown);
    if (e.errorClass !== 'not_found') {
      deps.router.recordError(channel.config.name, e, deps.now());
      if (pastDeadline()) return giveUp();
      // Cannot fail over: the task may exist on this channel. Ask again later.
      await deferRemote(a, retryDelay(e.retryAfterMs, task.checks, channel.config, deps.random));
      return;
    }
    found = null;
  }
  if (found) {
    const now = deps.now();
    deps.log.info({ taskId: task.id, channel: channel.config.name, upstreamId: found.upstreamId }, 'found the upstream task after an unknown submit');
    await deps.upstream.accepted(task.id, a.token, found.upstreamId, { checkAt: now, seenNudges: task.nudges }, now);
    return;
  }
  if (pastDeadline()) return giveUp();
  const outcome = await submitOn(a, channel);
  if (outcome !== 'done') await deferRemote(a, 0);
}
