/**
 * `POST /image-to-video/kling-3.0` carries its inputs as typed `contents[]` items (spec §1.11
 * names the types prompt | first_frame | last_frame | element [C]). The field names inside an
 * item are not documented; Reelay reads `{type:"prompt", text}`, `{type:"first_frame", url}`,
 * `{type:"last_frame", url}` and `{type:"element", element_id}` [I]: `text` and `url` are the
 * words the new design uses elsewhere, `element_id` is the legacy `element_list` item's name.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { VideoElement } from '../../domain/elements.ts';
import { httpUrl, isObjectBody, readShape, str } from '../shared/wire-shape.ts';
import type { ContentPositions } from './field-names.ts';

export const CONTENT_TYPES = ['prompt', 'first_frame', 'last_frame', 'element'] as const;

const TYPE = { error: `must be one of: ${CONTENT_TYPES.join(', ')}` };
const ELEMENT_ID = { error: 'must be a numeric element id' };
// The item is named `url`, so a URL it must be [I]: raw base64 goes to the legacy `image` field.
const ABSOLUTE_URL = 'must be an absolute http(s) URL';

export const itemSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('prompt'), text: str() }),
    z.object({ type: z.literal('first_frame'), url: httpUrl(ABSOLUTE_URL) }),
    z.object({ type: z.literal('last_frame'), url: httpUrl(ABSOLUTE_URL) }),
    z.object({
      type: z.literal('element'),
      element_id: z.union([z.number().int(ELEMENT_ID).nonnegative(ELEMENT_ID), z.string().regex(/^\d{1,20}$/, ELEMENT_ID)], ELEMENT_ID),
    }),
  ],
  TYPE,
);

export const contentsSchema = z.object({ contents: z.array(z.unknown(), { error: 'must be an array' }).nullish() });

export type ParsedContents = {
  prompt: string | null;
  firstFrame: string | null;
  lastFrame: string | null;
  elements: VideoElement[];
  positions: ContentPositions;
};

export function parseContents(body: object): ParsedContents {
  const items = readShape(contentsSchema, body).contents ?? [];
  const out: ParsedContents = { prompt: null, firstFrame: null, lastFrame: null, elements: [], positions: { firstFrame: null, lastFrame: null, elements: [] } };
  for (const [i, raw] of items.entries()) {
    if (!isObjectBody(raw)) throw new AppError('invalid_parameter', `contents[${i}] must be an object`, { field: `contents[${i}]` });
    const content = readShape(itemSchema, raw, `contents[${i}]`);
    const once = (taken: unknown) => {
      if (taken !== null) {
        throw new AppError('invalid_parameter', `contents[${i}] is a second ${content.type} item; give at most one`, { field: `contents[${i}]` });
      }
    };
    if (content.type === 'prompt') {
      once(out.prompt);
      out.prompt = content.text;
    } else if (content.type === 'first_frame') {
      once(out.firstFrame);
      out.firstFrame = content.url;
      out.positions.firstFrame = i;
    } else if (content.type === 'last_frame') {
      once(out.lastFrame);
      out.lastFrame = content.url;
      out.positions.lastFrame = i;
    } else {
      out.elements.push({ kind: 'saved', elementId: String(content.element_id) });
      out.positions.elements.push(i);
    }
  }
  return out;
}
