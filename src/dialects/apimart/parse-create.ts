/**
 * The APIMart create body (spec §5.1, seed 004) -> VideoRequest and the product it asks for
 * (image_urls present = image-to-video). zod checks the shape here; every cross-field rule lives
 * in checkVideoRequest. Both fail as an AppError whose message starts with the wire field.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { TaskKind } from '../../domain/task.ts';
import { ASPECT_RATIOS, TIERS, checkVideoRequest, type VideoRequest } from '../../domain/video-request.ts';
import { klingShotsOf } from '../shared/kling-shots.ts';
import { canonicalModel } from '../shared/served-models.ts';
import { NOT_AN_OBJECT, TRUE_OR_FALSE, bool, fieldError, httpUrl, isObjectBody, jsonInteger, list, obj, oneOf, readShape, str, wirePath } from '../shared/wire-shape.ts';
import { APIMART_FIELD_NAMES, APIMART_NESTED_NAMES } from './field-names.ts';
import { APIMART_MODELS } from './models.ts';

const DEFAULT_DURATION = 5;
const MAX_IMAGES = 2;

// shot_type and multi_prompt stay `unknown` here: as at Kling, they are read only when
// multi_shot asks for them.
export const bodySchema = z.object({
  model: str(),
  prompt: str().nullish(),
  mode: z.enum(TIERS, oneOf(TIERS)).nullish(),
  duration: z.unknown().optional(),
  aspect_ratio: z.enum(ASPECT_RATIOS, oneOf(ASPECT_RATIOS)).nullish(),
  negative_prompt: str().nullish(),
  image_urls: list(httpUrl(), { items: MAX_IMAGES, error: `must hold at most ${MAX_IMAGES} images: 1 = first frame, 2 = first + last frame` }).nullish(),
  watermark: bool(TRUE_OR_FALSE).nullish(),
  audio: bool(TRUE_OR_FALSE).nullish(),
  multi_shot: bool(TRUE_OR_FALSE).nullish(),
  shot_type: z.unknown().optional(),
  multi_prompt: z.unknown().optional(),
  elements: list(obj({ name: str(), description: str(), element_input_urls: list(httpUrl()) })).nullish(),
});

export type ApimartCreate = { request: VideoRequest; kind: TaskKind };

/** Parses an APIMart create body; throws AppError (and nothing else) on any bad input. */
export function parseApimartCreate(body: unknown, options: { models: readonly string[] }): ApimartCreate {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = readShape(bodySchema, body);
  const model = canonicalModel(b.model, APIMART_MODELS, options.models);
  const { multiShot, shots, positions } = klingShotsOf(body, b.multi_shot);
  // [I] An empty image_urls is read as "no images" (text-to-video): clients often send [] as a default.
  const images = b.image_urls ?? [];
  const kind: TaskKind = images.length > 0 ? 'image2video' : 'text2video';
  const request: VideoRequest = {
    model,
    prompt: b.prompt ?? '',
    negativePrompt: b.negative_prompt ?? '',
    multiShot,
    shots,
    duration: jsonInteger(b.duration, 'duration', DEFAULT_DURATION),
    tier: b.mode ?? 'std',
    aspectRatio: b.aspect_ratio ?? '16:9',
    sound: b.audio ?? false,
    voiceIds: [],
    cfgScale: null,
    cameraControl: null,
    watermark: b.watermark ?? false,
    callbackUrl: null,
    externalTaskId: null,
    firstFrame: images[0] ?? null,
    lastFrame: images[1] ?? null,
    elements: (b.elements ?? []).map((e) => ({ kind: 'subject' as const, name: e.name, description: e.description, imageUrls: e.element_input_urls })),
  };
  const violation = checkVideoRequest(request, { kind });
  if (violation) {
    throw fieldError(wirePath(violation.field, { heads: APIMART_FIELD_NAMES, nested: APIMART_NESTED_NAMES, shotPositions: positions }), violation.rule);
  }
  return { request, kind };
}
