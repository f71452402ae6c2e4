/**
 * The official Kling legacy create body (spec §1.3 text2video, §1.10 image2video) -> VideoRequest.
 * zod checks the shape here; every cross-field rule lives in checkVideoRequest. Both fail as an
 * AppError whose message starts with the wire field the client sent.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { TaskKind } from '../../domain/task.ts';
import {
  ASPECT_RATIOS,
  CAMERA_AXES,
  CAMERA_TYPES,
  SHOT_TYPES,
  TIERS,
  checkVideoRequest,
  type CameraAxis,
  type CameraControl,
  type Shot,
  type ShotType,
  type VideoRequest,
} from '../../domain/video-request.ts';
import { KLING_FIELD_NAMES } from './field-names.ts';

// The official default is kling-v1 (§1.3), which Reelay does not serve: it serves Kling v3 only,
// so a body that names no model asks for the one model there is.
const DEFAULT_MODEL = 'kling-v3';
const SOUNDS = ['on', 'off'] as const;
const NOT_AN_OBJECT = 'request body must be a JSON object';

const oneOf = (values: readonly string[]) => ({ error: `must be one of: ${values.join(', ')}` });
const str = () => z.string({ error: 'must be a string' });
const num = () => z.number({ error: 'must be a number' });
const bool = () => z.boolean({ error: 'must be a boolean' });
const obj = <S extends z.ZodRawShape>(shape: S) => z.object(shape, { error: 'must be an object' });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'must be an array' });

const NON_EMPTY = 'must be a non-empty string';
const ELEMENT_ID = { error: 'must be a numeric element id' };
const axis = () => num().nullish();

// shot_type, multi_prompt and duration stay `unknown` here: the first two are read only when
// multi_shot asks for them (Kling ignores them otherwise), duration goes through wireInteger.
const bodySchema = z.object({
  model_name: str().nullish(),
  model: str().nullish(),
  multi_shot: bool().nullish(),
  shot_type: z.unknown().optional(),
  prompt: str().nullish(),
  multi_prompt: z.unknown().optional(),
  negative_prompt: str().nullish(),
  voice_list: list(obj({ voice_id: z.string({ error: NON_EMPTY }).regex(/\S/, { error: NON_EMPTY }) })).nullish(),
  sound: z.enum(SOUNDS, oneOf(SOUNDS)).nullish(),
  cfg_scale: num().nullish(),
  mode: z.enum(TIERS, oneOf(TIERS)).nullish(),
  camera_control: obj({
    type: z.enum(CAMERA_TYPES, oneOf(CAMERA_TYPES)),
    config: obj({ horizontal: axis(), vertical: axis(), pan: axis(), tilt: axis(), roll: axis(), zoom: axis() }).nullish(),
  }).nullish(),
  aspect_ratio: z.enum(ASPECT_RATIOS, oneOf(ASPECT_RATIOS)).nullish(),
  duration: z.unknown().optional(),
  watermark_info: obj({ enabled: bool().nullish() }).nullish(),
  callback_url: str().nullish(),
  external_task_id: str().nullish(),
  element_list: list(obj({ element_id: z.union([z.number().int(ELEMENT_ID).nonnegative(ELEMENT_ID), z.string().regex(/^\d{1,20}$/, ELEMENT_ID)], ELEMENT_ID) })).nullish(),
});

const shotTypeSchema = z.object({ shot_type: z.enum(SHOT_TYPES, oneOf(SHOT_TYPES)).nullish() });

const INTEGER = { error: 'must be an integer' };
const shotsSchema = z.object({
  multi_prompt: list(obj({ index: z.number(INTEGER).int(INTEGER), prompt: str(), duration: z.unknown().optional() })).nullish(),
});

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isUrlOrBase64 = (v: string) => v === '' || (/^https?:\/\//i.test(v) ? URL.canParse(v) : BASE64.test(v));
const frame = () => str().refine(isUrlOrBase64, { error: 'must be an http(s) URL or raw base64 without a data: prefix' }).nullish();
const framesSchema = z.object({ image: frame(), image_tail: frame() });

/** Parses a Kling legacy create body; throws AppError (and nothing else) on any bad input. */
export function parseKlingCreate(
  body: unknown,
  options: { models: readonly string[]; kind: TaskKind },
): VideoRequest {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = shape(bodySchema, body);
  const model = checkedModel(b.model_name, b.model, options.models);
  const multiShot = b.multi_shot === true ? shotTypeOf(body) : null;
  const { shots, positions } = multiShot === 'customize' ? shotsOf(body) : { shots: [], positions: [] };
  const frames = options.kind === 'image2video' ? shape(framesSchema, body) : { image: null, image_tail: null };
  const request: VideoRequest = {
    model,
    prompt: b.prompt ?? '',
    negativePrompt: b.negative_prompt ?? '',
    multiShot,
    shots,
    duration: b.duration === null || b.duration === undefined ? 5 : wireInteger(b.duration),
    tier: b.mode ?? 'std',
    aspectRatio: b.aspect_ratio ?? '16:9',
    sound: b.sound === 'on',
    voiceIds: (b.voice_list ?? []).map((v) => v.voice_id),
    cfgScale: b.cfg_scale ?? null,
    cameraControl: cameraOf(b.camera_control),
    watermark: b.watermark_info?.enabled ?? false,
    callbackUrl: b.callback_url || null,
    externalTaskId: b.external_task_id || null,
    firstFrame: frames.image || null,
    lastFrame: frames.image_tail || null,
    // §1.10: saved elements belong to image2video; text2video ignores the field like Kling does.
    elements: options.kind === 'image2video' ? (b.element_list ?? []).map((e) => ({ kind: 'saved' as const, elementId: String(e.element_id) })) : [],
  };
  const violation = checkVideoRequest(request, { kind: options.kind });
  if (violation) {
    const field = wireField(violation.field, positions);
    throw new AppError('invalid_parameter', `${field} ${violation.rule}`, { field });
  }
  return request;
}

function isObjectBody(body: unknown): body is object {
  try {
    return typeof body === 'object' && body !== null && !Array.isArray(body);
  } catch {
    // Array.isArray throws on a revoked proxy; such a value is no JSON object either.
    return false;
  }
}

/** Kling sends integers as strings ("5") and Reelay takes a JSON number too; anything else is NaN, so the domain rule reports it with its range. */
function wireInteger(value: unknown): number {
  if (typeof value === 'number') return value;
  // Only Kling's own spellings: "05" or " 5" are not in its "3".."15" enum and would earn a 1201
  // from Kling itself, so a client built against Reelay must not come to rely on them.
  if (typeof value === 'string' && /^[1-9][0-9]{0,8}$/.test(value)) return Number(value);
  return Number.NaN;
}

function checkedModel(modelName: string | null | undefined, alias: string | null | undefined, models: readonly string[]): string {
  // new-api reads `model` when `model_name` is missing; an empty name counts as missing, as at Kling.
  const field = modelName ? 'model_name' : alias ? 'model' : 'model_name';
  const model = modelName || alias || DEFAULT_MODEL;
  if (!models.includes(model)) {
    const shown = model.length > 64 ? `${model.slice(0, 64)}…` : model;
    const available = models.length > 0 ? models.join(', ') : 'none';
    throw new AppError('model_not_found', `${field} '${shown}' is not available; available models: ${available}`, { field });
  }
  return model;
}

function shotTypeOf(body: object): ShotType {
  const shotType = shape(shotTypeSchema, body).shot_type;
  if (!shotType) {
    throw new AppError('invalid_parameter', 'shot_type is required when multi_shot is true', { field: 'shot_type' });
  }
  return shotType;
}

/** The client's shots ordered by index, and where each sat in the client's array (for messages). */
function shotsOf(body: object): { shots: Shot[]; positions: number[] } {
  const items = (shape(shotsSchema, body).multi_prompt ?? []).map((s, position) => ({
    position,
    shot: { index: s.index, prompt: s.prompt, duration: wireInteger(s.duration) },
  }));
  items.sort((a, b) => a.shot.index - b.shot.index);
  return { shots: items.map((i) => i.shot), positions: items.map((i) => i.position) };
}

type WireCamera = z.infer<typeof bodySchema>['camera_control'];

function cameraOf(camera: WireCamera): CameraControl | null {
  if (!camera) return null;
  if (!camera.config) return { type: camera.type };
  const config: Partial<Record<CameraAxis, number>> = {};
  for (const name of CAMERA_AXES) {
    const value = camera.config[name];
    if (value !== null && value !== undefined) config[name] = value;
  }
  return { type: camera.type, config };
}

/** Runs a zod schema over client data and turns its first issue into an AppError on the wire path. */
function shape<T>(schema: z.ZodType<T>, value: unknown): T {
  let result: z.ZodSafeParseResult<T>;
  try {
    result = schema.safeParse(value);
  } catch (cause) {
    // Only a value JSON.parse cannot produce (a throwing getter, a revoked proxy) gets here.
    throw new AppError('invalid_parameter', NOT_AN_OBJECT, { cause });
  }
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = (issue?.path ?? []).reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`),
    '',
  );
  const rule = issue?.message ?? 'is invalid';
  if (field === '') throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  throw new AppError('invalid_parameter', `${field} ${rule}`, { field });
}

/** A domain path (`shots[1].duration`) on the Kling wire (`multi_prompt[<client position>].duration`). */
function wireField(path: string, positions: readonly number[]): string {
  const match = /^([A-Za-z]+)(?:\[(\d+)\])?(.*)$/.exec(path);
  if (!match) return path;
  const [, head = '', index, rest = ''] = match;
  const wire = Object.hasOwn(KLING_FIELD_NAMES, head) ? KLING_FIELD_NAMES[head as keyof typeof KLING_FIELD_NAMES] : head;
  // Shots are sorted by index; their messages point at the client's own array positions.
  const at = index === undefined ? '' : `[${head === 'shots' ? (positions[Number(index)] ?? index) : index}]`;
  return `${wire}${at}${rest.replace(/^\.elementId$/, '.element_id')}`;
}
