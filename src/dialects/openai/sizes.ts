/**
 * OpenAI's `size` ("WIDTHxHEIGHT") <-> Kling's tier and aspect ratio. Exactly the nine frames
 * Kling renders are accepted, derived from the domain's outputSize so the two never disagree:
 *
 * | size      | tier | aspect |   | size      | tier | aspect |   | size      | tier | aspect |
 * |-----------|------|--------|---|-----------|------|--------|---|-----------|------|--------|
 * | 1280x720  | std  | 16:9   |   | 1920x1080 | pro  | 16:9   |   | 3840x2160 | 4k   | 16:9   |
 * | 720x1280  | std  | 9:16   |   | 1080x1920 | pro  | 9:16   |   | 2160x3840 | 4k   | 9:16   |
 * | 720x720   | std  | 1:1    |   | 1080x1080 | pro  | 1:1    |   | 2160x2160 | 4k   | 1:1    |
 *
 * OpenAI's other sizes (1024x1792, 1792x1024) have no Kling frame and are refused, listing these.
 */
import { ASPECT_RATIOS, TIERS, outputSize, type AspectRatio, type Tier } from '../../domain/video-request.ts';

export type Framing = { tier: Tier; aspectRatio: AspectRatio };

export function sizeOf(tier: Tier, aspectRatio: AspectRatio): string {
  const { width, height } = outputSize(tier, aspectRatio);
  return `${width}x${height}`;
}

export const OPENAI_SIZES: ReadonlyMap<string, Framing> = new Map(
  TIERS.flatMap((tier) => ASPECT_RATIOS.map((aspectRatio) => [sizeOf(tier, aspectRatio), { tier, aspectRatio }] as const)),
);

/** [I] OpenAI's default size is 720x1280 (portrait); without `size`, Reelay frames the same way. */
export const DEFAULT_FRAMING: Framing = { tier: 'std', aspectRatio: '9:16' };
