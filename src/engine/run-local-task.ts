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
import { throttleProgress } from './throttle-progress.ts';

export type LocalTaskDeps = {
  tasks: TaskRepository;
  storage: Storage;
  probe: (file: string, signal: AbortSignal) => Promise<VideoProbe>;
  workRoot: string;
  log: Logger;
  now: () => number;
};

export type Attempt = { task: Task; token: string; signal: AbortSignal };

/** Ends when the task is terminal, or when the attempt was aborted (lease lost or shutdown). */
export async function runLocalTask(deps: LocalTaskDeps, provider: LocalProvider, attempt: Attempt): Promise<void> {
  const { tasks, now } = deps;
  const { task, token, signal } = attempt;
  if (task.status === 'queued' && !(await tasks.start(task.id, token, now()))) return;
  const workDir = path.join(deps.workRoot, `${task.id}-${token.slice(-8)}`);
  await mkdir(workDir, { recursive: true });
  try {
    const onProgress = throttleProgress((p) => {
      tasks.setProgress(task.id, token, p, now()).catch((e: unknown) => deps.log.warn({ err: e, taskId: task.id }, 'progress write failed'));
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
      videos = await storeVideos(deps, task, rendered, signal);
    } catch (e) {
      if (signal.aborted) return;
      await failTask(deps, attempt, 'storage_failed', `storing the video failed: ${(e as Error).message}`);
      return;
    }
    if (signal.aborted) return;
    if (!(await tasks.complete(task.id, token, { videos }, null, now()))) {
      deps.log.warn({ taskId: task.id }, 'lease lost before completion; result discarded');
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function storeVideos(deps: LocalTaskDeps, task: Task, rendered: RenderedVideo[], signal: AbortSignal): Promise<TaskVideo[]> {
  const videos: TaskVideo[] = [];
  for (const [i, file] of rendered.entries()) {
    const probe = await deps.probe(file.path, signal);
    const expected = task.request.duration;
    if (Math.abs(probe.durationSeconds - expected) > 0.5) {
      throw new Error(`rendered video lasts ${probe.durationSeconds.toFixed(2)} s, expected ${expected} s`);
    }
    const id = `${task.publicId}-${i + 1}`;
    const key = `tasks/${task.id}/video-${i + 1}.mp4`;
    await deps.storage.putFile(key, file.path);
    let watermarkKey: string | undefined;
    if (file.watermarkPath) {
      const marked = await deps.probe(file.watermarkPath, signal);
      if (Math.abs(marked.durationSeconds - probe.durationSeconds) > 0.1) {
        throw new Error(`the watermarked copy lasts ${marked.durationSeconds.toFixed(2)} s, the video ${probe.durationSeconds.toFixed(2)} s`);
      }
      watermarkKey = `tasks/${task.id}/video-${i + 1}-watermark.mp4`;
      await deps.storage.putFile(watermarkKey, file.watermarkPath);
    }
    videos.push({ id, key, watermarkKey, duration: Math.round(probe.durationSeconds * 1000) / 1000 });
  }
  return videos;
}

async function failTask(deps: LocalTaskDeps, attempt: Attempt, code: TaskFailureCode, message: string): Promise<void> {
  deps.log.warn({ taskId: attempt.task.id, code, message }, 'task failed');
  const failed = await deps.tasks.fail(attempt.task.id, attempt.token, 'running', { code, message }, deps.now());
  if (!failed) deps.log.warn({ taskId: attempt.task.id }, 'lease lost before failing the task');
}
