/**
 * Whether an upstream's callback tells the engine anything. Kling calls back at every status
 * change ("submitted", "processing", "succeed"); a callback that only repeats what the task
 * already shows (accepted; or rendering, without progress, while the task is `running`) needs no
 * check, so it costs no write, no claim and no hand-back (with 10,000 tasks in flight these were
 * a third of the engine's writes; bench/engine.ts). Anything else, including every body the
 * channel's provider cannot read for this very upstream task, is news: the task is made due and
 * its check decides.
 */
import { isTerminal, type Task } from '../domain/task.ts';
import type { RemoteProvider } from '../providers/remote-provider.ts';
import type { UpstreamTasks } from '../store/upstream-tasks.ts';

export function callbackIsNews(task: Pick<Task, 'status' | 'upstreamId' | 'kind'>, provider: Pick<RemoteProvider, 'parseCallback'> | undefined, body: string): boolean {
  const parse = provider?.parseCallback;
  if (!parse || task.upstreamId === null) return true;
  const state = parse(body, { upstreamId: task.upstreamId, kind: task.kind });
  if (state?.state !== 'pending') return true;
  if (state.progress !== null) return true;
  // "Rendering" moves a queued task to running; a late "accepted" after that says nothing new.
  return state.phase === 'running' && task.status === 'queued';
}

/**
 * What the callback route calls: makes the task due with the body kept for its check, unless the
 * callback is no news; `woke` then tells this instance's worker and the others (the task's lease
 * may be another instance's). True when the callback was taken (also when it was no news).
 */
export function createCallbackNudge(deps: {
  upstream: Pick<UpstreamTasks, 'callbackContext' | 'nudge'>;
  providerOf: (channel: string) => Pick<RemoteProvider, 'parseCallback'> | undefined;
  woke: (taskId: string) => void;
  now: () => number;
}): (taskId: string, body: string) => Promise<boolean> {
  return async (taskId, body) => {
    const task = await deps.upstream.callbackContext(taskId);
    if (task && !isTerminal(task.status) && !callbackIsNews(task, deps.providerOf(task.provider), body)) return true;
    const woke = await deps.upstream.nudge(taskId, deps.now(), body);
    if (woke) deps.woke(taskId);
    return woke;
  };
}
