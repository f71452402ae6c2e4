/**
 * OpenAI's `POST /v1/videos` body -> VideoRequest, from JSON or from multipart/form-data.
 *
 * Accepted types (a form sends every field as text, JSON may send the natural type):
 *
 * | field             | JSON                                   | multipart/form-data                |
 * |-------------------|----------------------------------------|------------------------------------|
 * | `model`           | string (default `kling-v3`)            | text                               |
 * | `prompt`          | string, required                       | text, required                     |
 * | `seconds`         | "3".."15" or the integer 3..15 (def. 4)| "3".."15"                          |
 * | `size`            | "WIDTHxHEIGHT", see sizes.ts           | text                               |
 * | `mode`            | std, pro or 4k (must agree with size)  | text                               |
 * | `aspect_ratio`    | 16:9, 9:16 or 1:1 (must agree w. size) | text                               |
 * | `sound`           | boolean, or "true"/"false"/"on"/"off"  | "true"/"false"/"on"/"off"          |
 * | `negative_prompt` | string                                 | text                               |
 *
 * OpenAI itself takes only 4, 8 and 12 seconds; Reelay takes every whole second Kling renders.
 * Other fields are ignored, as extra fields of OpenAI SDKs are; `input_reference` (an image to
 * start from) is refused rather than ignored, since dropping it would make another video.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { ASPECT_RATIOS, STANDARD_MODEL, TIERS, TURBO_MODEL, checkVideoRequest, unsetRequestFields, type VideoRequest } from '../../domain/video-request.ts';
import { NOT_AN_OBJECT, digitInteger, fieldError, isObjectBody, oneOf, readShape, str, wirePath } from '../shared/wire-shape.ts';
import { DEFAULT_FRAMING, OPENAI_SIZES, type Framing } from './sizes.ts';

/** The model names this dialect knows; the server's config may serve fewer. */
export const OPENAI_MODELS: readonly string[] = [STANDARD_MODEL, TURBO_MODEL];
const DEFAULT_MODEL = STANDARD_MODEL;
/** [I] OpenAI's default is 4 seconds; a client that sends none expects that length. */
const DEFAULT_SECONDS = 4;
/** [I] Sora videos always have sound, so an OpenAI client expects audio unless it says otherwise. */
const DEFAULT_SOUND = true;
const SOUND_WORDS = ['true', 'false', 'on', 'off'] as const;

export const bodySchema = z.object({
  model: str().nullish(),
  prompt: z.string({ error: 'is required and must be a string' }),
  seconds: z.union([z.string(), z.number()], { error: 'must be a string of whole seconds such as "5"' }).nullish(),
  size: str().nullish(),
  mode: z.enum(TIERS, oneOf(TIERS)).nullish(),
  aspect_ratio: z.enum(ASPECT_RATIOS, oneOf(ASPECT_RATIOS)).nullish(),
  sound: z.union([z.boolean(), z.enum(SOUND_WORDS)], oneOf(['true', 'false', '"on"', '"off"'])).nullish(),
  negative_prompt: str().nullish(),
  input_reference: z.unknown().optional(),
});

/**
 * Multipart fields -> a plain object of strings. An empty field counts as not sent (as an empty
 * form input does); a file or a field sent twice is refused, naming it.
 */
export function formFields(form: Record<string, unknown>): Record<string, string> {
  // No prototype: a field named __proto__ is a field like any other.
  const fields = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(form)) {
    if (Array.isArray(value)) throw new AppError('invalid_parameter', `${name} must be sent once, not ${value.length} times`, { field: name });
    if (name === 'input_reference') throw inputReferenceRefused();
    if (typeof value !== 'string') throw new AppError('invalid_parameter', `${name} must be a text field, not a file`, { field: name });
    if (value !== '') fields[name] = value;
  }
  return fields;
}

/** Parses a create body (JSON, or formFields of a form); throws AppError on any bad input. */
export function parseOpenAiCreate(body: unknown, options: { models: readonly string[] }): VideoRequest {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = readShape(bodySchema, body);
  if (b.input_reference !== undefined && b.input_reference !== null) throw inputReferenceRefused();
  const model = checkedModel(b.model, options.models);
  const framing = framingOf(b.size, b.mode, b.aspect_ratio);
  const request: VideoRequest = {
    model,
    prompt: b.prompt,
    negativePrompt: b.negative_prompt ?? '',
    multiShot: null,
    shots: [],
    duration: b.seconds === null || b.seconds === undefined ? DEFAULT_SECONDS : digitInteger(b.seconds),
    tier: framing.tier,
    aspectRatio: framing.aspectRatio,
    sound: b.sound === null || b.sound === undefined ? DEFAULT_SOUND : b.sound === true || b.sound === 'true' || b.sound === 'on',
    ...unsetRequestFields(),
  };
  const violation = checkVideoRequest(request, { kind: 'text2video' });
  if (violation) throw fieldError(wireField(violation.field, b), violation.rule);
  return request;
}

function inputReferenceRefused(): AppError {
  return new AppError(
    'invalid_parameter',
    'input_reference is not supported: /v1/videos makes text-to-video only; use POST /v1/videos/image2video for a video from an image',
    { field: 'input_reference' },
  );
}

function checkedModel(name: string | null | undefined, served: readonly string[]): string {
  const model = name || DEFAULT_MODEL;
  const available = OPENAI_MODELS.filter((m) => served.includes(m));
  if (!available.includes(model)) {
    const shown = model.length > 64 ? `${model.slice(0, 64)}…` : model;
    throw new AppError('model_not_found', `model '${shown}' is not available; available models: ${available.join(', ') || 'none'}`, { field: 'model' });
  }
  return model;
}

/** `size`, or `mode` + `aspect_ratio`; when both are given they must name the same frame. */
function framingOf(size: string | null | undefined, mode: Framing['tier'] | null | undefined, aspect: Framing['aspectRatio'] | null | undefined): Framing {
  if (!size) return { tier: mode ?? DEFAULT_FRAMING.tier, aspectRatio: aspect ?? DEFAULT_FRAMING.aspectRatio };
  const framing = OPENAI_SIZES.get(size);
  if (!framing) {
    const shown = size.length > 32 ? `${size.slice(0, 32)}…` : size;
    throw new AppError('invalid_parameter', `size must be one of: ${[...OPENAI_SIZES.keys()].join(', ')} (got '${shown}')`, { field: 'size' });
  }
  if (mode && mode !== framing.tier) {
    throw new AppError('invalid_parameter', `mode ${mode} does not match size ${size}, which is ${framing.tier}; send one of them or make them agree`, { field: 'mode' });
  }
  if (aspect && aspect !== framing.aspectRatio) {
    throw new AppError('invalid_parameter', `aspect_ratio ${aspect} does not match size ${size}, which is ${framing.aspectRatio}; send one of them or make them agree`, { field: 'aspect_ratio' });
  }
  return framing;
}

/** A domain field on the OpenAI wire: tier and aspect come from `mode`/`aspect_ratio` or `size`. */
function wireField(path: string, b: { mode?: unknown; aspect_ratio?: unknown }): string {
  const names: Record<string, string> = {
    model: 'model',
    prompt: 'prompt',
    negativePrompt: 'negative_prompt',
    duration: 'seconds',
    tier: b.mode ? 'mode' : 'size',
    aspectRatio: b.aspect_ratio ? 'aspect_ratio' : 'size',
    sound: 'sound',
  };
  return wirePath(path, { heads: names });
}
