/**
 * Where things sit on a preview frame, in pixels. Sizes scale with the short side so a 9:16
 * frame does not get giant text and 4k is not a postage stamp. The top-left corner stays empty
 * (tests sample the background colour there).
 */
import type { TextLayoutLimits } from './text-layout.ts';

export type PreviewLayout = {
  margin: number;
  borderWidth: number;
  lineSpacing: number;
  bannerSize: number;
  bannerY: number;
  labelSize: number;
  labelY: number;
  promptSize: number;
  promptTop: number;
  /** Height of the band the prompt block is centred in. */
  promptHeight: number;
  promptLimits: TextLayoutLimits;
  captionSize: number;
  captionY: number;
  /** The element names line, above the caption; the prompt band makes room for it only with `elementsLine`. */
  elementsSize: number;
  elementsY: number;
  elementsLimits: TextLayoutLimits;
  watermarkSize: number;
};

// DejaVu Sans averages ~0.55 em per Latin character; 0.6 leaves room for capitals.
const COLUMN_EM = 0.6;
// drawtext advances a line by the font's glyph height (~1.2 em for DejaVu) plus line_spacing.
const LINE_EM = 1.2;
const MAX_PROMPT_LINES = 10;

export function computeLayout(width: number, height: number, options: { elementsLine?: boolean } = {}): PreviewLayout {
  const short = Math.min(width, height);
  const px = (fraction: number): number => Math.max(1, Math.round(short * fraction));
  const margin = px(0.03);
  const bannerSize = px(0.15);
  const bannerY = Math.round(height * 0.1);
  const labelSize = px(0.04);
  const labelY = bannerY + Math.round(bannerSize * 1.1);
  const promptSize = px(0.05);
  const lineSpacing = Math.round(promptSize * 0.3);
  const promptTop = labelY + labelSize * 2;
  const captionSize = px(0.03);
  const captionY = height - px(0.06) - captionSize;
  const elementsSize = px(0.035);
  const elementsY = captionY - Math.round(elementsSize * 1.9);
  const promptBottom = options.elementsLine === true ? elementsY - captionSize : captionY - captionSize;
  const promptHeight = Math.max(promptSize, promptBottom - promptTop);
  const lineHeight = promptSize * LINE_EM + lineSpacing;
  const maxLines = Math.min(MAX_PROMPT_LINES, Math.max(1, Math.floor(promptHeight / lineHeight)));
  const maxColumns = Math.max(8, Math.floor((width - 4 * margin) / (promptSize * COLUMN_EM)));
  return {
    margin,
    borderWidth: px(0.003),
    lineSpacing,
    bannerSize,
    bannerY,
    labelSize,
    labelY,
    promptSize,
    promptTop,
    promptHeight,
    promptLimits: { maxColumns, maxLines },
    captionSize,
    captionY,
    elementsSize,
    elementsY,
    elementsLimits: { maxColumns: Math.max(8, Math.floor((width - 4 * margin) / (elementsSize * COLUMN_EM))), maxLines: 1 },
    watermarkSize: px(0.05),
  };
}
