/**
 * Elements: subjects the video must keep consistent. Two forms exist on the wire: APIMart's
 * subjects made on the fly (a name, a description, 2-4 reference images, referenced as `@name`
 * in the prompt) and Kling's saved elements (`element_list[{element_id}]`).
 */
import type { RuleViolation } from './video-request.ts';

export type VideoElement =
  | { kind: 'subject'; name: string; description: string; imageUrls: string[] }
  | { kind: 'saved'; elementId: string };

export const ELEMENT_LIMITS = { maxElements: 3, minImages: 2, maxImages: 4, nameChars: 64, descriptionChars: 500 } as const;

const MENTION = /@([\p{L}\p{N}_-]+)/gu;

/** The element rules shared by every dialect; `texts` are the prompts that may mention a subject. */
export function checkElements(elements: VideoElement[], texts: string[], voiceCount: number): RuleViolation | null {
  const { maxElements, minImages, maxImages, nameChars, descriptionChars } = ELEMENT_LIMITS;
  if (elements.length > maxElements) return { field: 'elements', rule: `must hold at most ${maxElements} elements` };
  if (elements.length > 0 && voiceCount > 0) return { field: 'elements', rule: 'cannot be combined with voices' };
  const names = new Set<string>();
  for (const [i, el] of elements.entries()) {
    if (el.kind === 'saved') {
      if (!/^\d{1,20}$/.test(el.elementId)) return { field: `elements[${i}].elementId`, rule: 'must be a numeric element id' };
      continue;
    }
    if (!/^[\p{L}\p{N}_-]+$/u.test(el.name) || [...el.name].length > nameChars) {
      return { field: `elements[${i}].name`, rule: `must be 1-${nameChars} letters, digits, _ or -` };
    }
    if (names.has(el.name)) return { field: `elements[${i}].name`, rule: `must be unique; ${el.name} is used twice` };
    names.add(el.name);
    if ([...el.description].length > descriptionChars) {
      return { field: `elements[${i}].description`, rule: `must be at most ${descriptionChars} characters` };
    }
    if (el.imageUrls.length < minImages || el.imageUrls.length > maxImages) {
      return { field: `elements[${i}].imageUrls`, rule: `must hold between ${minImages} and ${maxImages} images` };
    }
  }
  // Only dialects with subject elements use @mentions; a prompt with no subjects may contain '@'.
  if (names.size === 0) return null;
  for (const text of texts) {
    for (const m of text.matchAll(MENTION)) {
      if (!names.has(m[1] as string)) return { field: 'prompt', rule: `mentions @${m[1]} but no element has that name` };
    }
  }
  return null;
}
