/**
 * Kling's prompt shot syntax `镜头 n, m, words;` (spec §1.11, seed 002): a multi-shot video
 * written inside the prompt, n the shot number, m its seconds, words its prompt. This file reads
 * and writes the syntax only; the counts, lengths and the sum of durations are checkVideoRequest's.
 *
 * Reading rules (lenient where a client would expect it):
 * - `,` or `，` between the parts, `;` or `；` after a shot, any whitespace around them;
 *   ASCII or full-width digits for n and m; the last shot may omit its `;`.
 * - The syntax starts at the first `镜头 <n>,`. A bare `镜头` is an ordinary Chinese word
 *   ("camera shot", as in 镜头缓慢推进) and so is `镜头1` without the comma: such prompts hold no syntax.
 * - A later `镜头 <n>,` opens a new shot only right after a `;`/`；`; elsewhere it belongs to the
 *   words, and so does a `;` that is not followed by a new shot. Words therefore may contain `;`.
 * - Text before the first shot is a preamble that applies to the whole clip (a style, a setting);
 *   promptOutsideShots returns it.
 */
import type { Shot } from './video-request.ts';

/** Parses Kling's prompt shot syntax `镜头 n, m, words;` (spec §1.11, seed 002). */
export type ShotSyntaxResult =
  | { kind: 'none' }
  | { kind: 'shots'; shots: Shot[] }
  /** `rule` reads after the word "prompt", e.g. "shot 2 ... must ...". */
  | { kind: 'invalid'; rule: string };

const SHOT_START = /镜头\s*([0-9０-９]+)\s*[,，]/g;
const COMMA = /[,，]/;
const DIGITS = /^[0-9０-９]+$/;
// Beyond this a duration cannot be right (the longest clip is 15 s); keep it exact for the message.
const MAX_DURATION_DIGITS = 9;

type ShotStart = { at: number; end: number; number: string };

/** The `镜头 n,` marks that open a shot, in order. */
function shotStarts(prompt: string): ShotStart[] {
  const starts: ShotStart[] = [];
  for (const m of prompt.matchAll(SHOT_START)) {
    const at = m.index;
    if (starts.length > 0 && !followsTerminator(prompt, at)) continue;
    starts.push({ at, end: at + m[0].length, number: m[1] as string });
  }
  return starts;
}

/** Whether only whitespace stands between a `;`/`；` and `at` (scanned backwards: linear overall). */
function followsTerminator(prompt: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && /\s/.test(prompt[i] as string)) i--;
  return prompt[i] === ';' || prompt[i] === '；';
}

// A loop, not /[\s;；]+$/: that regex is quadratic on a long run of spaces followed by a letter.
function withoutTrailingTerminators(text: string): string {
  let end = text.length;
  while (end > 0 && (/\s/.test(text[end - 1] as string) || text[end - 1] === ';' || text[end - 1] === '；')) end--;
  return text.slice(0, end);
}

/** Messages quote the client's text, but never a megabyte of it. */
function shorten(text: string): string {
  return text.length > 20 ? `${text.slice(0, 20)}…` : text;
}

function asciiDigits(text: string): string {
  return text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
}

/** The prompt's shots, `none` when it holds no shot syntax, or the first syntax error. */
export function parseShotSyntax(prompt: string): ShotSyntaxResult {
  const starts = shotStarts(prompt);
  if (starts.length === 0) return { kind: 'none' };
  const shots: Shot[] = [];
  for (const [i, start] of starts.entries()) {
    const expected = i + 1;
    const label = `shot ${expected} (镜头 ${shorten(start.number)})`;
    const n = Number(asciiDigits(start.number));
    if (n !== expected) {
      return { kind: 'invalid', rule: `${label} is out of order: shots must be numbered 1, 2, 3… in order, so this one must be 镜头 ${expected}` };
    }
    const body = prompt.slice(start.end, starts[i + 1]?.at ?? prompt.length);
    const comma = COMMA.exec(body);
    if (!comma) {
      return { kind: 'invalid', rule: `${label} must read 镜头 n, m, words; with its duration m and then its words` };
    }
    const durationText = body.slice(0, comma.index).trim();
    if (!DIGITS.test(durationText) || durationText.length > MAX_DURATION_DIGITS || Number(asciiDigits(durationText)) < 1) {
      return { kind: 'invalid', rule: `${label} duration must be a whole number of seconds, at least 1 (got '${shorten(durationText)}')` };
    }
    const words = withoutTrailingTerminators(body.slice(comma.index + 1)).trim();
    if (words === '') return { kind: 'invalid', rule: `${label} must have words after its duration (镜头 n, m, words;)` };
    shots.push({ index: expected, prompt: words, duration: Number(asciiDigits(durationText)) });
  }
  return { kind: 'shots', shots };
}

/** The prompt without its shots: the preamble before the first shot, or the whole prompt when it holds none. */
export function promptOutsideShots(prompt: string): string {
  const first = shotStarts(prompt)[0];
  return first === undefined ? prompt : prompt.slice(0, first.at).trim();
}

/** Writes shots in the syntax, `镜头 1, 3, words; 镜头 2, 2, words;` (what parseShotSyntax reads back). */
export function formatShotSyntax(shots: readonly Shot[], preamble = ''): string {
  const text = shots.map((s) => `镜头 ${s.index}, ${s.duration}, ${s.prompt};`).join(' ');
  return preamble.trim() === '' ? text : `${preamble.trim()} ${text}`;
}
