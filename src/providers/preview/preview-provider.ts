/**
 * The `preview` provider: renders a real, clearly labelled MP4 offline with ffmpeg, so the whole
 * gateway (billing, storage, links, webhooks) works end to end without an upstream account.
 */
import { accessSync, constants } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { VideoRequest } from '../../domain/video-request.ts';
import type { InputImageLoader } from '../../media/input-image.ts';
import type { LocalProvider, RenderContext, RenderedVideo } from '../provider.ts';
import { planPreviewRender, type PreviewFonts } from './filter-graph.ts';
import type { PreviewImages } from './frame-overlays.ts';
import { abortError, runFfmpeg } from './run-ffmpeg.ts';

export type PreviewProviderDeps = {
  ffmpeg: string;
  /** One TTF/OTF for all text, e.g. a CJK font; default: DejaVu Sans from `dejavu-fonts-ttf`. */
  fontFile?: string;
  /**
   * Turns a first/last frame (URL or base64) into a checked local image; URLs must go through
   * the URL guard. Needed for image-to-video requests only: without it they fail clearly.
   */
  loadImage?: InputImageLoader;
};

const FRAMES = [
  { key: 'first', field: 'firstFrame', label: 'first frame', name: 'first-frame' },
  { key: 'last', field: 'lastFrame', label: 'last frame', name: 'last-frame' },
] as const;

/** DejaVu Sans and Sans Bold as shipped in the `dejavu-fonts-ttf` npm package. */
export function defaultPreviewFonts(): PreviewFonts {
  const packageJson = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json');
  const dir = path.join(path.dirname(packageJson), 'ttf');
  return { regular: path.join(dir, 'DejaVuSans.ttf'), bold: path.join(dir, 'DejaVuSans-Bold.ttf') };
}

/** Checked up front: given a missing fontfile, ffmpeg's fontconfig quietly draws with another font. */
function checkFonts(fonts: PreviewFonts): PreviewFonts {
  for (const file of [fonts.regular, fonts.bold]) {
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new Error(`preview font ${file} is not a readable file`);
    }
  }
  return fonts;
}

export function createPreviewProvider(deps: PreviewProviderDeps): LocalProvider {
  const fonts = checkFonts(deps.fontFile !== undefined ? { regular: deps.fontFile, bold: deps.fontFile } : defaultPreviewFonts());

  /** One after the other, so the first frame's problem is the one reported when both have one. */
  async function loadFrames(request: VideoRequest, ctx: RenderContext): Promise<PreviewImages> {
    const images: PreviewImages = {};
    for (const frame of FRAMES) {
      const value = request[frame.field];
      if (value === null) continue;
      if (ctx.signal.aborted) throw abortError(ctx.signal.reason);
      if (!deps.loadImage) throw new Error(`${frame.label}: this preview provider was set up without an image loader`);
      try {
        const image = await deps.loadImage(value, { workDir: ctx.workDir, name: frame.name, signal: ctx.signal });
        images[frame.key] = { path: image.path, format: image.format };
      } catch (e) {
        if (ctx.signal.aborted) throw abortError(ctx.signal.reason);
        // The engine puts "preview render failed: " in front; this names which input and why.
        throw new Error(`${frame.label}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }
    return images;
  }

  async function render(request: VideoRequest, ctx: RenderContext): Promise<RenderedVideo[]> {
    await mkdir(ctx.workDir, { recursive: true });
    const images = await loadFrames(request, ctx);
    const plan = planPreviewRender(request, { workDir: ctx.workDir, fonts, images });
    // Text goes through files so no prompt character needs filtergraph escaping.
    await Promise.all(plan.textFiles.map((f) => writeFile(f.path, f.content, 'utf8')));
    await runFfmpeg(deps.ffmpeg, plan.args, {
      signal: ctx.signal,
      totalSeconds: plan.totalSeconds,
      onProgress: ctx.onProgress,
    });
    ctx.onProgress(100);
    return [plan.watermarkPath !== null ? { path: plan.outputPath, watermarkPath: plan.watermarkPath } : { path: plan.outputPath }];
  }

  return { kind: 'local', name: 'preview', render };
}
