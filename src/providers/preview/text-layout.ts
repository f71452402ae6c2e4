/**
 * Word wrap for the preview's on-screen text. Widths are counted in columns (a CJK character or
 * an emoji takes two), by grapheme cluster so an emoji sequence or an accent is never split.
 */

export type TextLayoutLimits = {
  /** Columns per line (at least 3, so a wide character and the ellipsis always fit). */
  maxColumns: number;
  maxLines: number;
};

const ELLIPSIS = '…';

// East Asian Wide/Fullwidth blocks and pictographic emoji render about twice as wide as Latin.
const WIDE =
  /\p{Extended_Pictographic}|[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|[\u{20000}-\u{3FFFD}]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Control characters (newlines, tabs, NUL, C1) and line/paragraph separators become spaces.
const BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]/gu;

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

const CAPITAL = /^\p{Lu}/u;

/** Columns one grapheme cluster takes on screen (capitals are ~1.25x a lowercase letter). */
export function graphemeWidth(grapheme: string): number {
  if (WIDE.test(grapheme)) return 2;
  return CAPITAL.test(grapheme) ? 1.25 : 1;
}

/** Columns a string takes on screen. */
export function textWidth(text: string): number {
  return graphemes(text).reduce((sum, g) => sum + graphemeWidth(g), 0);
}

/** The text as one line of printable words: controls and runs of whitespace become one space. */
export function normalizeText(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(BREAKING, ' ').split(/\s+/u).filter((w) => w !== '').join(' ');
}

/** Cuts a word wider than a line into line-sized pieces (CJK text has no spaces to break at). */
function splitWide(word: string, maxColumns: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let width = 0;
  for (const g of graphemes(word)) {
    const w = graphemeWidth(g);
    if (width + w > maxColumns && piece !== '') {
      pieces.push(piece);
      piece = '';
      width = 0;
    }
    piece += g;
    width += w;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

function wrapAll(words: string[], maxColumns: number): string[] {
  const lines: string[] = [];
  let line = '';
  let width = 0;
  for (const word of words) {
    for (const piece of splitWide(word, maxColumns)) {
      const w = textWidth(piece);
      if (line !== '' && width + 1 + w <= maxColumns) {
        line += ` ${piece}`;
        width += 1 + w;
      } else {
        if (line !== '') lines.push(line);
        line = piece;
        width = w;
      }
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** `line` shortened so that it and a trailing ellipsis fit in `maxColumns`. */
function withEllipsis(line: string, maxColumns: number): string {
  const kept: string[] = [];
  let width = 0;
  for (const g of graphemes(line)) {
    const w = graphemeWidth(g);
    if (width + w + 1 > maxColumns) break;
    kept.push(g);
    width += w;
  }
  return `${kept.join('').trimEnd()}${ELLIPSIS}`;
}

/**
 * Wraps `text` into at most `maxLines` lines of at most `maxColumns` columns; text that does not
 * fit ends the last line with "…". Never throws; empty or blank text gives no lines.
 */
export function layoutText(text: string, limits: TextLayoutLimits): string[] {
  const maxColumns = Math.max(3, Math.floor(limits.maxColumns));
  const maxLines = Math.max(1, Math.floor(limits.maxLines));
  const normalized = normalizeText(text);
  if (normalized === '') return [];
  const lines = wrapAll(normalized.split(' '), maxColumns);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = withEllipsis(kept[maxLines - 1] ?? '', maxColumns);
  return kept;
}
