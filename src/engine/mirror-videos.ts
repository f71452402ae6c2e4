/**
 * Copies an upstream's finished videos (and watermarked copies) into Reelay's storage: download
 * each to the attempt's folder, check it with ffprobe, store it. Clients then get Reelay's links,
 * never the upstream's (Kling's expire and are hotlink-protected).
 */
import path from 'node:path';
import type { Task, TaskVideo } from '../domain/task.ts';
import type { UpstreamVideo } from '../providers/remote-provider.ts';
import { clientSafeMessage, storeVideos, type StoreVideosDeps, type VideoFile } from './store-videos.ts';

/** Downloads `url` to `file`; resolves to the byte count. */
export type DownloadToFile = (url: string, file: string, signal: AbortSignal) => Promise<number>;

/** Why mirroring failed; `retryable` when asking the upstream again (fresh URLs) may help. */
export class MirrorError extends Error {
  readonly retryable: boolean;
  readonly stage: 'download' | 'check' | 'store';
  constructor(stage: MirrorError['stage'], message: string, retryable: boolean, cause: unknown) {
    super(message, { cause });
    this.name = 'MirrorError';
    this.stage = stage;
    this.retryable = retryable;
  }
}

export async function mirrorVideos(
  deps: StoreVideosDeps & { download: (url: string) => DownloadToFile },
  task: Task,
  videos: UpstreamVideo[],
  options: { workDir: string; signal: AbortSignal },
): Promise<TaskVideo[]> {
  const { workDir, signal } = options;
  if (videos.length === 0) throw new MirrorError('check', 'the upstream reported success without a video', false, null);
  const files: VideoFile[] = [];
  for (const [i, video] of videos.entries()) {
    const file = path.join(workDir, `upstream-${i + 1}.mp4`);
    await fetchOne(deps.download, video.url, file, signal, 'video');
    let watermarkPath: string | undefined;
    if (video.watermarkUrl) {
      watermarkPath = path.join(workDir, `upstream-${i + 1}-watermark.mp4`);
      await fetchOne(deps.download, video.watermarkUrl, watermarkPath, signal, 'watermarked copy');
    }
    files.push({ path: file, watermarkPath });
  }
  try {
    return await storeVideos(deps, task, files, { signal, expectedDuration: null });
  } catch (e) {
    if (signal.aborted) throw e;
    const message = clientSafeMessage((e as Error).message, workDir);
    // A probe that fails means the upstream's file is broken; anything else is our storage, which
    // may recover (disk space freed, S3 back): retried while the upstream's links live.
    const stage = /^not a video|lasts/.test(message) ? 'check' : 'store';
    throw new MirrorError(stage, stage === 'check' ? `the upstream's video is not a playable video: ${message}` : `storing the video failed: ${message}`, stage === 'store', e);
  }
}

async function fetchOne(download: (url: string) => DownloadToFile, url: string, file: string, signal: AbortSignal, what: string): Promise<void> {
  try {
    await download(url)(url, file, signal);
  } catch (e) {
    if (signal.aborted) throw e;
    throw new MirrorError('download', `downloading the ${what} from the upstream failed: ${(e as Error).message}`, true, e);
  }
}
