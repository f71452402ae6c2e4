/**
 * The Novita async create body (seed 003, spec §4.1) -> VideoRequest. The model and the tier are
 * the path (`kling-v3.0-pro-t2v`, `kling-v3.0-std-t2v`); zod checks the body's types here and
 * every cross-field rule lives in checkVideoRequest. Fails only with an AppError naming the wire
 * field.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { ASPECT_RATIOS, STANDARD_MODEL, checkVideoRequest, unsetRequestFields, type Shot, type Tier, type VideoRequest } from '../../domain/video-request.ts';
import { NOT_AN_OBJECT, bool, fieldError, int, isObjectBody, list, num, obj, oneOf, readShape, str } from '../shared/wire-shape.ts';
import { novitaWireField } from './field-names.ts';

/** The Novita model paths Reelay serves, and the tier each one names. */
export const NOVITA_MODELS = { 'kling-v3.0-pro-t2v': 'pro', 'kling-v3.0-std-t2v': 'std' } as const satisfies Record<string, Tier>;
export type NovitaModel = keyof typeof NOVITA_MODELS;

const DEFAULT_DURATION = 5;

// Novita's schema is typed: `sound` is a JSON boolean and `duration` a JSON integer. A quoted
// "5" is not taken, so a client tested against Reelay also works against Novita itself.
export const bodySchema = z.object({
  prompt: str().nullish(),
  negative_prompt: str().nullish(),
  sound: bool().nullish(),
  duration: z.unknown().optional(),
  cfg_scale: num().nullish(),
  aspect_ratio: z.enum(ASPECT_RATIOS, oneOf(ASPECT_RATIOS)).nullish(),
  // The seed shows the items only as `[{}]` [I]: each is one shot `{prompt, duration}` in play
  // order, as in Novita's other multi-shot wrappers; an `index`, if sent, must match that order.
  multi_prompt: list(obj({ index: int().nullish(), prompt: str(), duration: z.unknown().optional() })).nullish(),
});

/** Parses a Novita create body for the model path `model`; throws AppError on any bad input. */
export function parseNovitaCreate(body: unknown, options: { models: readonly string[]; model: NovitaModel }): VideoRequest {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = readShape(bodySchema, body);
  if (!options.models.includes(STANDARD_MODEL)) {
    throw new AppError('model_not_found', `model ${options.model} is not available on this server`, { field: 'model' });
  }
  const prompt = b.prompt ?? '';
  const items = b.multi_prompt ?? [];
  if (items.length > 0 && prompt.trim() !== '') {
    // The seed calls them mutually exclusive: the prompt is either one text or a list of shots.
    throw new AppError('invalid_parameter', 'prompt must be empty when multi_prompt is given: they are mutually exclusive', { field: 'prompt' });
  }
  const shots: Shot[] = items.map((s, i) => ({ index: s.index ?? i + 1, prompt: s.prompt, duration: wireInteger(s.duration) }));
  const request: VideoRequest = {
    model: STANDARD_MODEL,
    prompt,
    negativePrompt: b.negative_prompt ?? '',
    multiShot: shots.length > 0 ? 'customize' : null,
    shots,
    duration: durationOf(b.duration, shots),
    tier: NOVITA_MODELS[options.model],
    aspectRatio: b.aspect_ratio ?? '16:9',
    sound: b.sound ?? false,
    ...unsetRequestFields(),
    cfgScale: b.cfg_scale ?? null,
  };
  const violation = checkVideoRequest(request, { kind: 'text2video' });
  if (violation) throw fieldError(novitaWireField(violation.field), violation.rule);
  return request;
}

/**
 * The documented default is 5 s; with shots and no `duration` [I], the shots' own lengths are
 * the clip's, since a client that timed every shot expects exactly that total.
 */
function durationOf(value: unknown, shots: Shot[]): number {
  if (value !== undefined && value !== null) return wireInteger(value);
  if (shots.length > 0 && shots.every((s) => Number.isInteger(s.duration))) return shots.reduce((sum, s) => sum + s.duration, 0);
  return DEFAULT_DURATION;
}

/** A JSON number stays itself (the domain rejects fractions and the range); anything else is NaN. */
function wireInteger(value: unknown): number {
  return typeof value === 'number' ? value : Number.NaN;
}
