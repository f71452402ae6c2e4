/**
 * Pure: the first and last frame images in the preview. The first frame is the opening second of
 * the first shot, the last frame the closing second of the last shot, each scaled to fit the
 * output and padded with black (never cropped: the client should see its whole image). Each image
 * is decoded once and held by overlay's repeat-last, gated by `enable`, so the cost does not grow
 * with the clip's length.
 */
import type { Shot } from '../../domain/video-request.ts';

export type PreviewImage = { path: string; format: 'png' | 'jpeg' };
export type PreviewImages = { first?: PreviewImage | undefined; last?: PreviewImage | undefined };

/** How long each image is shown, in seconds; shots are at least 1 s long, so it always fits. */
export const FRAME_IMAGE_SECONDS = 1;

const DEMUXER = { png: 'png_pipe', jpeg: 'jpeg_pipe' } as const;

type Planned = { label: string; input: number };
/** An overlay of a prepared image (by its graph label) onto a shot, at the times `filter` enables. */
export type FrameOverlay = { image: string; filter: string };

export type FrameOverlayPlan = {
  /** ffmpeg input arguments, to go before `-filter_complex`. */
  inputArgs: string[];
  /** Filter chains that scale and pad each image to the output size. */
  prepare: string[];
  /** The overlays on shot `i` of `count`, in order; none for a shot in the middle. */
  overlaysFor(i: number, count: number, shot: Shot): FrameOverlay[];
};

export function planFrameOverlays(images: PreviewImages, width: number, height: number): FrameOverlayPlan {
  const inputArgs: string[] = [];
  const prepare: string[] = [];
  const planned: { first?: Planned; last?: Planned } = {};
  for (const which of ['first', 'last'] as const) {
    const image = images[which];
    if (!image) continue;
    const input = Object.keys(planned).length;
    // A pipe demuxer reads the file as one stream, so a '%' in the work dir is not a pattern.
    inputArgs.push('-f', DEMUXER[image.format], '-i', `file:${image.path}`);
    const label = `${which}img`;
    prepare.push(
      `[${input}:v]scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
        `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p[${label}]`,
    );
    planned[which] = { label, input };
  }
  return {
    inputArgs,
    prepare,
    overlaysFor(i, count, shot) {
      const overlays: FrameOverlay[] = [];
      if (i === 0 && planned.first) overlays.push(overlay(planned.first.label, `lt(t,${FRAME_IMAGE_SECONDS})`));
      if (i === count - 1 && planned.last) overlays.push(overlay(planned.last.label, `gte(t,${shot.duration - FRAME_IMAGE_SECONDS})`));
      return overlays;
    },
  };
}

function overlay(image: string, when: string): FrameOverlay {
  // repeat: the one decoded frame stays up for as long as `enable` asks for it.
  return { image, filter: `overlay=x=0:y=0:eof_action=repeat:enable='${when}'` };
}

/**
 * One shot's chain: `source` (a generator, no input), each overlay in turn, then the `tail`
 * filters, out to `[out]`. Without overlays it is the plain chain `source,tail[out]`.
 */
export function shotChain(source: string, overlays: FrameOverlay[], tail: string, id: number, out: string): string {
  if (overlays.length === 0) return `${source},${tail}[${out}]`;
  const parts = [`${source}[bg${id}_0]`];
  overlays.forEach((o, k) => {
    const last = k === overlays.length - 1;
    parts.push(`[bg${id}_${k}][${o.image}]${o.filter}${last ? `,${tail}[${out}]` : `[bg${id}_${k + 1}]`}`);
  });
  return parts.join(';');
}
