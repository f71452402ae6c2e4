/**
 * Finished video files -> Reelay's storage, each checked with ffprobe first, so a task is never
 * `completed` with a file that is not a playable video of the expected length.
 */
import type { Task, TaskVideo } from '../domain/task.ts';
import type { VideoProbe } from '../media/probe-video.ts';
import type { Storage } from '../media/storage.ts';

export type VideoFile = {
  path: string;
  /** The watermarked copy, when there is one. */
  watermarkPath?: string | undefined;
};

export type StoreVideosDeps = {
  storage: Storage;
  probe: (file: string, signal: AbortSignal) => Promise<VideoProbe>;
};

/**
 * `expectedDuration`: seconds the video must last (±0.5 s); null when only the upstream knows
 * (Kling delivers e.g. 5.042 s for 5 s).
 */
export async function storeVideos(
  deps: StoreVideosDeps,
  task: Task,
  files: VideoFile[],
  options: { signal: AbortSignal; expectedDuration: number | null },
): Promise<TaskVideo[]> {
  const { signal, expectedDuration } = options;
  const videos: TaskVideo[] = [];
  for (const [i, file] of files.entries()) {
    const probe = await deps.probe(file.path, signal);
    if (expectedDuration !== null && Math.abs(probe.durationSeconds - expectedDuration) > 0.5) {
      throw new Error(`the video lasts ${probe.durationSeconds.toFixed(2)} s, expected ${expectedDuration} s`);
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

/**
 * An error of storing or checking videos, as a client may read it: the attempt's folder becomes
 * `<work dir>` and any other quoted absolute path (a disk storage error names the data dir:
 * "ENOTDIR: not a directory, mkdir '/srv/reelay/media/tasks/…'") becomes `<storage>`.
 */
export function clientSafeMessage(message: string, workDir: string): string {
  return message.replaceAll(workDir, '<work dir>').replace(/'\/[^']*'/g, "'<storage>'");
}
