/** What one attempt at a remote task carries, and the two ways it ends for now: failed or handed back. */
import type { Logger } from 'pino';
import type { Task, TaskFailureCode, TaskStatus } from '../../domain/task.ts';
import type { VideoProbe } from '../../media/probe-video.ts';
import type { Storage } from '../../media/storage.ts';
import type { TaskRepository } from '../../store/task-repository.ts';
import type { UpstreamTasks } from '../../store/upstream-tasks.ts';
import type { Channel, ChannelRouter } from '../channel-router.ts';
import type { DownloadToFile } from '../mirror-videos.ts';

export type RemoteTaskDeps = {
  tasks: TaskRepository;
  upstream: UpstreamTasks;
  router: ChannelRouter;
  storage: Storage;
  probe: (file: string, signal: AbortSignal) => Promise<VideoProbe>;
  /** The downloader for a result URL of `channel` (the channel's own origin is trusted; others pass the URL guard). */
  download: (channel: Channel, url: string) => DownloadToFile;
  /** The per-task callback URL given to upstreams. */
  callbackUrl: (taskId: string) => string;
  workRoot: string;
  log: Logger;
  now: () => number;
  random: () => number;
};

export type RemoteAttempt = {
  deps: RemoteTaskDeps;
  task: Task;
  token: string;
  signal: AbortSignal;
  /** The task's status as this attempt last wrote it. */
  status: TaskStatus;
};

export async function failRemote(a: RemoteAttempt, code: TaskFailureCode, message: string): Promise<void> {
  a.deps.log.warn({ taskId: a.task.id, provider: a.task.provider, code, message }, 'task failed');
  const failed = await a.deps.tasks.fail(a.task.id, a.token, a.status, { code, message }, a.deps.now());
  if (!failed) a.deps.log.warn({ taskId: a.task.id }, 'lease lost before failing the task');
}

/** Hands the lease back; the task is due again after `delayMs` (or at once if a callback came meanwhile). */
export async function deferRemote(a: RemoteAttempt, delayMs: number, extra: { progress?: number; mirrorFailed?: boolean } = {}): Promise<void> {
  const now = a.deps.now();
  const kept = await a.deps.upstream.scheduleCheck(a.task.id, a.token, a.status, { dueAt: now + delayMs, seenNudges: a.task.nudges, ...extra }, now);
  if (!kept) a.deps.log.warn({ taskId: a.task.id }, 'lease lost before the hand-back');
}
