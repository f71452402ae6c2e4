/**
 * The APIMart create body (spec §5.1, seed 004) -> VideoRequest and the product it asks for
 * (image_urls present = image-to-video). zod checks the shape here; every cross-field rule lives
 * in checkVideoRequest. Both fail as an AppError whose message starts with the wire field.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { TaskKind } from '../../domain/task.ts';
import { ASPECT_RATIOS, SHOT_TYPES, TIERS, checkVideoRequest, type Shot, type ShotType, type VideoRequest } from '../../domain/video-request.ts';
import {
  NOT_AN_OBJECT,
  bool,
  httpUrl,
  isObjectBody,
  jsonInteger,
  list,
  obj,
  oneOf,
  readShape,
  shotSeconds,
  str,
  wirePath,
} from '../evolink/wire-shape.ts';
import { APIMART_FIELD_NAMES, APIMART_NESTED_NAMES } from './field-names.ts';
import { APIMART_MODELS, isApimartModel } from './models.ts';

const DEFAULT_DURATION = 5;
const MAX_IMAGES = 2;
const INTEGER = { error: 'must be an integer' };

// shot_type and multi_prompt stay `unknown` here: as at Kling, they are read only when
// multi_shot asks for them.
const bodySchema = z.object({
  model: str(),
  prompt: str().nullish(),
  mode: z.enum(TIERS, oneOf(TIERS)).nullish(),
  duration: z.unknown().optional(),
  aspect_ratio: z.enum(ASPECT_RATIOS, oneOf(ASPECT_RATIOS)).nullish(),
  negative_prompt: str().nullish(),
  image_urls: list(httpUrl())
    .max(MAX_IMAGES, { error: `must hold at most ${MAX_IMAGES} images: 1 = first frame, 2 = first + last frame` })
    .nullish(),
  watermark: bool().nullish(),
  audio: bool().nullish(),
  multi_shot: bool().nullish(),
  shot_type: z.unknown().optional(),
  multi_prompt: z.unknown().optional(),
  elements: list(obj({ name: str(), description: str(), element_input_urls: list(httpUrl()) })).nullish(),
});

const shotTypeSchema = z.object({ shot_type: z.enum(SHOT_TYPES, oneOf(SHOT_TYPES)).nullish() });
const shotsSchema = z.object({
  multi_prompt: list(obj({ index: z.number(INTEGER).int(INTEGER), prompt: str(), duration: z.unknown().optional() })).nullish(),
});

export type ApimartCreate = { request: VideoRequest; kind: TaskKind };

/** Parses an APIMart create body; throws AppError (and nothing else) on any bad input. */
export function parseApimartCreate(body: unknown, options: { models: readonly string[] }): ApimartCreate {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = readShape(bodySchema, body);
  const model = canonicalModel(b.model, options.models);
  const multiShot = b.multi_shot === true ? shotTypeOf(body) : null;
  const { shots, positions } = multiShot === 'customize' ? shotsOf(body) : { shots: [], positions: [] };
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
    const field = wirePath(violation.field, { heads: APIMART_FIELD_NAMES, nested: APIMART_NESTED_NAMES, shotPositions: positions });
    throw new AppError('invalid_parameter', `${field} ${violation.rule}`, { field });
  }
  return { request, kind };
}

function canonicalModel(name: string, served: readonly string[]): string {
  const canonical = isApimartModel(name) ? APIMART_MODELS[name] : undefined;
  if (canonical === undefined || !served.includes(canonical)) {
    const available = Object.entries(APIMART_MODELS).filter(([, m]) => served.includes(m)).map(([wire]) => wire);
    const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
    throw new AppError('invalid_parameter', `model '${shown}' is not available; available models: ${available.join(', ') || 'none'}`, { field: 'model' });
  }
  return canonical;
}

function shotTypeOf(body: object): ShotType {
  const shotType = readShape(shotTypeSchema, body).shot_type;
  if (!shotType) throw new AppError('invalid_parameter', 'shot_type is required when multi_shot is true', { field: 'shot_type' });
  return shotType;
}

/** The client's shots ordered by index, and where each sat in the client's array (for messages). */
function shotsOf(body: object): { shots: Shot[]; positions: number[] } {
  const items = (readShape(shotsSchema, body).multi_prompt ?? []).map((s, position) => ({
    position,
    shot: { index: s.index, prompt: s.prompt, duration: shotSeconds(s.duration) },
  }));
  items.sort((a, b) => a.shot.index - b.shot.index);
  return { shots: items.map((i) => i.shot), positions: items.map((i) => i.position) };
}
