/**
 * The image loader the preview gets in production: input-image checks, URLs fetched only through
 * the URL guard (public https targets, no redirects, 10 MiB, 30 s).
 */
import { LIMITS } from '../../domain/video-request.ts';
import { createInputImageLoader, type InputImageLoader } from '../../media/input-image.ts';
import { createUrlGuard } from '../../webhooks/url-guard.ts';

// [I] Kling names no fetch deadline; 30 s lets a 10 MiB image arrive over a slow link (~3 Mbit/s)
// while a stalled server cannot hold a render slot for long.
export const IMAGE_FETCH_TIMEOUT_MS = 30_000;

export function createGuardedImageLoader(options: { ffprobe: string; allowPrivate: boolean; timeoutMs?: number }): InputImageLoader {
  const guard = createUrlGuard({
    allowPrivate: options.allowPrivate,
    maxBytes: LIMITS.frameBytes,
    timeoutMs: options.timeoutMs ?? IMAGE_FETCH_TIMEOUT_MS,
  });
  return createInputImageLoader({ ffprobe: options.ffprobe, download: (url, file, init) => guard.fetchToFile(url, file, init) });
}
