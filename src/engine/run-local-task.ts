/**
 * One attempt at a leased task on a local provider: queued -> running, render, check each file
 * with ffprobe, store it, running -> completed. Every write is guarded by the lease token, so a
 * worker that lost its lease (it was too slow, or the process froze) changes nothing.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Task, TaskFailureCode, TaskVideo } from '../domain/task.ts';
import type { Storage } from '../media/storage.ts';
import type { VideoProbe } from '../media/probe-video.ts';
import type { LocalProvider, RenderedVideo } from '../providers/provider.ts';
import type { TaskRepository } from '../store/task-repository.ts';
import { cancelIfRequested, completeUnlessCanceled } from './finish-task.ts';
import { clientSafeMessage, storeVideos } from './store-videos.ts';
import type { TaskEvents } from './task-events.ts';
import { throttleProgress } from './throttle-progress.ts';

export type LocalTaskDeps = {
  tasks: TaskRepository;
  storage: Storage;
  probe: (file: string, signal: AbortSignal) => Promise<VideoProbe>;
  workRoot: string;
  log: Logger;
  now: () => number;
  /** Told of every change a local render makes (start, progress), for server-sent events. */
  events?: TaskEvents | undefined;
};

export type Attempt = { task: Task; token: string; signal: AbortSignal };

/**
 * Ends when the task is terminal, or when the attempt was aborted (lease lost, shutdown, or the
 * client asked to cancel: the worker's lease renewal sees the request and aborts the render, and
 * the task then ends canceled here; a render that finishes first is discarded the same way).
 */
export async function runLocalTask(deps: LocalTaskDeps, provider: LocalProvider, attempt: Attempt): Promise<void> {
  const { tasks, now } = deps;
  const { task, token, signal } = attempt;
  const changed = () => deps.events?.notify(task.id);
  // Claimed again after a crash with a cancel already asked for: nothing to render.
  if (task.cancelRequestedAt !== null && (await cancelIfRequested(deps, attempt, task.status, null))) return;
  if (task.status === 'queued') {
    if (!(await tasks.start(task.id, token, now()))) return;
    changed();
  }
  const workDir = path.join(deps.workRoot, `${task.id}-${token.slice(-8)}`);
  await mkdir(workDir, { recursive: true });
  try {
    const onProgress = throttleProgress((p) => {
      tasks
        .setProgress(task.id, token, p, now())
        .then((written) => written && changed())
        .catch((e: unknown) => deps.log.warn({ err: e, taskId: task.id }, 'progress write failed'));
    }, 500);
    let rendered: RenderedVideo[];
    try {
      rendered = await provider.render(task.request, { signal, onProgress, workDir });
    } catch (e) {
      if (signal.aborted) return;
      // The client reads this message: it must not show where Reelay keeps its files.
      const reason = (e as Error).message.replaceAll(workDir, '<work dir>');
      await failTask(deps, attempt, 'render_failed', `preview render failed: ${reason}`);
      return;
    }
    let videos: TaskVideo[];
    try {
      videos = await storeVideos(deps, task, rendered, { signal, expectedDuration: task.request.duration });
    } catch (e) {
      if (signal.aborted) return;
      await failTask(deps, attempt, 'storage_failed', `storing the video failed: ${clientSafeMessage((e as Error).message, workDir)}`);
      return;
    }
    if (signal.aborted) return;
    await completeUnlessCanceled(deps, attempt, { videos }, null);
  } finally {
    // Aborted for a cancel request: end it canceled now (after a shutdown or a lost lease this changes nothing).
    if (signal.aborted) await cancelIfRequested(deps, attempt, 'running', null).catch((e: unknown) => deps.log.warn({ err: e, taskId: task.id }, 'ending a canceled render failed'));
    await rm(workDir, { recursive: true, force: true });
  }
}

async function failTask(deps: LocalTaskDeps, attempt: Attempt, code: TaskFailureCode, message: string): Promise<void> {
  deps.log.warn({ taskId: attempt.task.id, code, message }, 'task failed');
  const failed = await deps.tasks.fail(attempt.task.id, attempt.token, 'running', { code, message }, deps.now());
  if (!failed) deps.log.warn({ taskId: attempt.task.id }, 'lease lost before failing the task');
}
