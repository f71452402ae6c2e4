/**
 * Pure: a VideoRequest -> the ffmpeg arguments and the text files that render its preview. One
 * coloured segment per shot (the first frame image opens the first, the last frame image closes
 * the last), then the PREVIEW banner, the element names and the caption over the whole clip, then
 * an optional watermarked second output split from the same frames (one decode, two encodes).
 */
import path from 'node:path';
import type { VideoElement } from '../../domain/elements.ts';
import { effectiveShots, outputSize, type Shot, type VideoRequest } from '../../domain/video-request.ts';
import { planFrameOverlays, shotChain, type FrameOverlay, type PreviewImages } from './frame-overlays.ts';
import { computeLayout, type PreviewLayout } from './preview-layout.ts';
import { layoutText } from './text-layout.ts';

export const PREVIEW_FPS = 24;
const X264_THREADS = 4;
export const PREVIEW_CAPTION = 'Reelay preview — not AI-generated';
export const WATERMARK_TEXT = 'Reelay';

export type PreviewFonts = { regular: string; bold: string };
export type PreviewTextFile = { path: string; content: string };

export type PreviewPlan = {
  /** Arguments after the ffmpeg binary. */
  args: string[];
  /** Files the graph reads (drawtext `textfile=`); write them before running ffmpeg. */
  textFiles: PreviewTextFile[];
  outputPath: string;
  watermarkPath: string | null;
  totalSeconds: number;
  width: number;
  height: number;
};

// Dark, well-separated hues so white text stays readable and neighbouring shots differ at a glance.
const SHOT_COLOURS = ['0x1f4e79', '0x7a1f3d', '0x1e6b3a', '0x6b4a12', '0x4b2a7a', '0x11666e'] as const;
// C4 E4 G4 A4 C5 D5: each shot gets its own audible pitch.
const SHOT_TONES_HZ = [262, 330, 392, 440, 523, 587] as const;

/** Background colour of shot `index` (1-based), as ffmpeg's 0xRRGGBB. */
export function shotColour(index: number): string {
  return SHOT_COLOURS[(index - 1) % SHOT_COLOURS.length] ?? SHOT_COLOURS[0];
}

export function shotToneHz(index: number): number {
  return SHOT_TONES_HZ[(index - 1) % SHOT_TONES_HZ.length] ?? SHOT_TONES_HZ[0];
}

/**
 * Escapes a value for a filter option inside a filtergraph: quoted for the option parser (':'
 * and '\' are literal inside quotes), then every graph-level special character backslashed.
 */
export function escapeFilterValue(value: string): string {
  const quoted = `'${value.replaceAll("'", "'\\''")}'`;
  return quoted.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

type DrawText = { font: string; size: number; x: string; y: string; colour?: string; text?: string; textFile?: string };

function drawtext(d: DrawText, layout: PreviewLayout): string {
  const source = d.textFile !== undefined ? `textfile=${escapeFilterValue(d.textFile)}` : `text=${escapeFilterValue(d.text ?? '')}`;
  const parts = [
    `fontfile=${escapeFilterValue(d.font)}`,
    source,
    // No %{...} expansion: prompts are shown exactly as written.
    'expansion=none',
    `fontsize=${d.size}`,
    `fontcolor=${d.colour ?? 'white'}`,
    `borderw=${layout.borderWidth}`,
    'bordercolor=black@0.55',
    `line_spacing=${layout.lineSpacing}`,
    `x=${d.x}`,
    `y=${d.y}`,
  ];
  return `drawtext=${parts.join(':')}`;
}

function shotLabel(shot: Shot, count: number): string {
  return count > 1 ? `Shot ${shot.index} of ${count} · ${shot.duration} s` : `${shot.duration} s`;
}

type GraphContext = { layout: PreviewLayout; fonts: PreviewFonts; width: number; height: number };

function shotSegment(shot: Shot, i: number, count: number, textFile: string, overlays: FrameOverlay[], ctx: GraphContext): string {
  const { layout, fonts, width, height } = ctx;
  const centre = '(w-text_w)/2';
  const source = `color=c=${shotColour(shot.index)}:s=${width}x${height}:r=${PREVIEW_FPS}:d=${shot.duration}`;
  const text = [
    drawtext({ font: fonts.regular, size: layout.labelSize, x: centre, y: String(layout.labelY), colour: 'white@0.9', text: shotLabel(shot, count) }, layout),
    drawtext({ font: fonts.regular, size: layout.promptSize, x: centre, y: `${layout.promptTop}+(${layout.promptHeight}-text_h)/2`, textFile }, layout),
  ];
  return shotChain(source, overlays, text.join(','), i, `v${i}`);
}

/** How the preview names an element: a subject by its @name, a saved element by its id. */
export function elementLabel(element: VideoElement): string {
  return element.kind === 'subject' ? `@${element.name}` : `element ${element.elementId}`;
}

export function planPreviewRender(request: VideoRequest, opts: { workDir: string; fonts: PreviewFonts; images?: PreviewImages }): PreviewPlan {
  const { width, height } = outputSize(request.tier, request.aspectRatio);
  const hasElements = request.elements.length > 0;
  const layout = computeLayout(width, height, { elementsLine: hasElements });
  const ctx: GraphContext = { layout, fonts: opts.fonts, width, height };
  const shots = effectiveShots(request);
  const totalSeconds = shots.reduce((sum, s) => sum + s.duration, 0);
  const textFiles = shots.map((shot) => ({
    path: path.join(opts.workDir, `shot-${shot.index}.txt`),
    // An empty textfile makes drawtext fail; a blank shot still says what it is.
    content: layoutText(shot.prompt, layout.promptLimits).join('\n') || '(no prompt)',
  }));
  const frames = planFrameOverlays(opts.images ?? {}, width, height);
  const graph: string[] = [
    ...frames.prepare,
    ...shots.map((shot, i) => shotSegment(shot, i, shots.length, textFiles[i]?.path ?? '', frames.overlaysFor(i, shots.length, shot), ctx)),
  ];
  const concatInputs = shots.map((_, i) => (request.sound ? `[v${i}][a${i}]` : `[v${i}]`)).join('');
  if (request.sound) {
    shots.forEach((shot, i) => graph.push(`sine=frequency=${shotToneHz(shot.index)}:sample_rate=48000:duration=${shot.duration}[a${i}]`));
  }
  graph.push(`${concatInputs}concat=n=${shots.length}:v=1:a=${request.sound ? 1 : 0}[vc]${request.sound ? '[ac]' : ''}`);
  const banner = drawtext({ font: opts.fonts.bold, size: layout.bannerSize, x: '(w-text_w)/2', y: String(layout.bannerY), text: 'PREVIEW' }, layout);
  const caption = drawtext(
    { font: opts.fonts.regular, size: layout.captionSize, x: '(w-text_w)/2', y: String(layout.captionY), colour: 'white@0.85', text: PREVIEW_CAPTION },
    layout,
  );
  const clipText = [banner, caption];
  if (hasElements) {
    const file = path.join(opts.workDir, 'elements.txt');
    const line = layoutText(`Elements: ${request.elements.map(elementLabel).join(' · ')}`, layout.elementsLimits).join('');
    textFiles.push({ path: file, content: line });
    clipText.push(
      drawtext({ font: opts.fonts.regular, size: layout.elementsSize, x: '(w-text_w)/2', y: String(layout.elementsY), colour: 'white@0.9', textFile: file }, layout),
    );
  }
  const watermark = request.watermark;
  graph.push(`[vc]${clipText.join(',')},format=yuv420p${watermark ? ',split=2[vout][vw0]' : '[vout]'}`);
  if (watermark) {
    const mark = drawtext(
      { font: opts.fonts.bold, size: layout.watermarkSize, x: `w-text_w-${layout.margin}`, y: String(layout.margin), colour: 'white@0.7', text: WATERMARK_TEXT },
      layout,
    );
    graph.push(`[vw0]${mark}[vw]`);
    if (request.sound) graph.push('[ac]asplit=2[aout][aw]');
  }
  const outputPath = path.join(opts.workDir, 'preview.mp4');
  const watermarkPath = watermark ? path.join(opts.workDir, 'preview-watermarked.mp4') : null;
  const audioOut = watermark ? '[aout]' : '[ac]';
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-y',
    ...frames.inputArgs,
    '-filter_complex', graph.join(';'),
    ...outputArgs('[vout]', request.sound ? audioOut : null, outputPath),
    ...(watermarkPath !== null ? outputArgs('[vw]', request.sound ? '[aw]' : null, watermarkPath) : []),
  ];
  return { args, textFiles, outputPath, watermarkPath, totalSeconds, width, height };
}

/**
 * Encoder settings per output. Same request -> same bytes: the bitexact flags drop version
 * strings and dates, and x264's output depends on its thread count (it is otherwise
 * deterministic), so the count is pinned instead of following the host's cores. veryfast costs
 * about the CPU of ultrafast here (4.4 s vs 3.9 s user, 1080p 15 s) for files 2.5x smaller.
 */
function outputArgs(video: string, audio: string | null, file: string): string[] {
  return [
    '-map', video,
    ...(audio !== null ? ['-map', audio, '-c:a', 'aac', '-b:a', '128k', '-flags:a', '+bitexact'] : []),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-threads', String(X264_THREADS),
    '-pix_fmt', 'yuv420p', '-g', String(PREVIEW_FPS * 2),
    '-flags:v', '+bitexact', '-fflags', '+bitexact', '-map_metadata', '-1',
    '-movflags', '+faststart', '-f', 'mp4',
    // `file:` keeps a work dir containing ':' from being read as a protocol name.
    `file:${file}`,
  ];
}
