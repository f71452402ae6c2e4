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
  TIERS,
  checkVideoRequest,
  type CameraAxis,
  type CameraControl,
  type VideoRequest,
} from '../../domain/video-request.ts';
import { klingShotsOf } from '../shared/kling-shots.ts';
import { NOT_AN_OBJECT, bool, digitInteger, fieldError, isObjectBody, list, num, obj, oneOf, readShape, str, wirePath } from '../shared/wire-shape.ts';
import { KLING_FIELD_NAMES } from './field-names.ts';

// The official default is kling-v1 (§1.3), which Reelay does not serve: it serves Kling v3 only,
// so a body that names no model asks for the one model there is.
const DEFAULT_MODEL = 'kling-v3';
const SOUNDS = ['on', 'off'] as const;

const NON_EMPTY = 'must be a non-empty string';
const ELEMENT_ID = { error: 'must be a numeric element id' };
const axis = () => num().nullish();
/** The one nested domain name the Kling wire spells differently. */
const NESTED_NAMES = { elementId: 'element_id' } as const;

// shot_type, multi_prompt and duration stay `unknown` here: the first two are read only when
// multi_shot asks for them (Kling ignores them otherwise), duration goes through digitInteger.
export const bodySchema = z.object({
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

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isUrlOrBase64 = (v: string) => v === '' || (/^https?:\/\//i.test(v) ? URL.canParse(v) : BASE64.test(v));
const frame = () => str().refine(isUrlOrBase64, { error: 'must be an http(s) URL or raw base64 without a data: prefix' }).nullish();
export const framesSchema = z.object({ image: frame(), image_tail: frame() });

/** Parses a Kling legacy create body; throws AppError (and nothing else) on any bad input. */
export function parseKlingCreate(
  body: unknown,
  options: { models: readonly string[]; kind: TaskKind },
): VideoRequest {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = readShape(bodySchema, body);
  const model = checkedModel(b.model_name, b.model, options.models);
  const { multiShot, shots, positions } = klingShotsOf(body, b.multi_shot);
  const frames = options.kind === 'image2video' ? readShape(framesSchema, body) : { image: null, image_tail: null };
  const request: VideoRequest = {
    model,
    prompt: b.prompt ?? '',
    negativePrompt: b.negative_prompt ?? '',
    multiShot,
    shots,
    duration: b.duration === null || b.duration === undefined ? 5 : digitInteger(b.duration),
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
  // Shots are sorted by index; their messages point at the client's own array positions.
  if (violation) throw fieldError(wirePath(violation.field, { heads: KLING_FIELD_NAMES, nested: NESTED_NAMES, shotPositions: positions }), violation.rule);
  return request;
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
