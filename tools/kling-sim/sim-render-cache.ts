/**
 * The result videos: real MP4s from Reelay's preview renderer, made once per distinct (tier,
 * aspect ratio, duration, sound, watermark) and kept in workDir, so 200 identical tasks cost one
 * render and a restarted simulator with the same workDir renders nothing it already has. The
 * client's prompt is not drawn: the clip shows what the simulator made, which is what is shared.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { createPreviewProvider } from '../../src/providers/preview/preview-provider.ts';

export type RenderedFiles = { path: string; watermarkPath: string | null };
export type RenderShape = Pick<VideoRequest, 'tier' | 'aspectRatio' | 'duration' | 'sound' | 'watermark'>;

export type RenderCache = {
  get(shape: RenderShape): Promise<RenderedFiles>;
  /** Aborts renders in flight and waits for them to stop. */
  close(): Promise<void>;
};

// ffmpeg already uses several threads per render; more renders at once only thrash 2 cores.
const PARALLEL_RENDERS = 2;

export function renderKey(s: RenderShape): string {
  return `${s.tier}-${s.aspectRatio.replace(':', 'x')}-${s.duration}s-${s.sound ? 'sound' : 'silent'}-${s.watermark ? 'watermark' : 'plain'}`;
}

function canonicalRequest(s: RenderShape): VideoRequest {
  return {
    model: 'kling-v3',
    prompt: `Kling simulator: ${s.tier} ${s.aspectRatio} ${s.duration} s${s.sound ? ' with sound' : ''}`,
    negativePrompt: '',
    multiShot: null,
    shots: [],
    duration: s.duration,
    tier: s.tier,
    aspectRatio: s.aspectRatio,
    sound: s.sound,
    voiceIds: [],
    cfgScale: null,
    cameraControl: null,
    watermark: s.watermark,
    callbackUrl: null,
    externalTaskId: null,
    // Image-to-video renders without its frames: nothing to download, and the clip is shared.
    firstFrame: null,
    lastFrame: null,
    elements: [],
  };
}

export function createRenderCache(deps: { ffmpeg: string; workDir: string; onRender: () => void; log: (line: string) => void }): RenderCache {
  const provider = createPreviewProvider({
    ffmpeg: deps.ffmpeg,
    loadImage: () => Promise.reject(new Error('the simulator renders without input images')),
  });
  const cache = new Map<string, Promise<RenderedFiles>>();
  const abort = new AbortController();
  let running = 0;
  const waiting: Array<() => void> = [];

  async function slot<T>(work: () => Promise<T>): Promise<T> {
    if (running >= PARALLEL_RENDERS) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  }

  async function produce(shape: RenderShape, key: string): Promise<RenderedFiles> {
    const dir = path.join(deps.workDir, key);
    const files: RenderedFiles = { path: path.join(dir, 'video.mp4'), watermarkPath: shape.watermark ? path.join(dir, 'video-watermark.mp4') : null };
    // The main file is moved in last, so its presence means the set is complete.
    if (existsSync(files.path) && (files.watermarkPath === null || existsSync(files.watermarkPath))) return files;
    return slot(async () => {
      deps.onRender();
      deps.log(`rendering ${key}`);
      const scratch = path.join(deps.workDir, `.${key}-${randomBytes(4).toString('hex')}`);
      try {
        const [video] = await provider.render(canonicalRequest(shape), { signal: abort.signal, onProgress: () => {}, workDir: scratch });
        if (!video) throw new Error('the preview renderer returned no video');
        await mkdir(dir, { recursive: true });
        if (files.watermarkPath !== null) {
          if (!video.watermarkPath) throw new Error('the preview renderer made no watermarked copy');
          await rename(video.watermarkPath, files.watermarkPath);
        }
        await rename(video.path, files.path);
        return files;
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    });
  }

  return {
    get(shape) {
      const key = renderKey(shape);
      let pending = cache.get(key);
      if (!pending) {
        pending = produce(shape, key);
        cache.set(key, pending);
        // A failed render is not remembered: the next task tries again.
        pending.catch(() => cache.delete(key));
      }
      return pending;
    },
    async close() {
      abort.abort(new Error('the simulator is closing'));
      await Promise.allSettled([...cache.values()]);
    },
  };
}
