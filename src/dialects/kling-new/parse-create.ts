/**
 * The official Kling new-design create body (spec §1.11) -> VideoRequest:
 * `{prompt, settings{multi_shot, audio, resolution, aspect_ratio, duration}, options{callback_url,
 * external_task_id, watermark_info{enabled}}}`, plus `contents[]` for image-to-video. zod checks
 * the shape; every rule lives in the domain (checkVideoRequest, parseShotSyntax). Both fail as an
 * AppError whose message starts with the wire field the client sent.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { parseShotSyntax } from '../../domain/shot-syntax.ts';
import type { TaskKind } from '../../domain/task.ts';
import { ASPECT_RATIOS, checkVideoRequest, type Shot, type ShotType, type Tier, type VideoRequest } from '../../domain/video-request.ts';
import { NOT_AN_OBJECT, bool, fieldError, isObjectBody, obj, oneOf, readShape, str } from '../shared/wire-shape.ts';
import { NO_CONTENTS, klingNewWireField } from './field-names.ts';
import { parseContents } from './parse-contents.ts';

export const RESOLUTIONS = ['720p', '1080p', '4k'] as const;
export const AUDIO_MODES = ['native', 'off'] as const;

const TIER_OF: Record<(typeof RESOLUTIONS)[number], Tier> = { '720p': 'std', '1080p': 'pro', '4k': '4k' };

export const bodySchema = z.object({
  prompt: str().nullish(),
  settings: obj({
    multi_shot: bool().nullish(),
    audio: z.enum(AUDIO_MODES, oneOf(AUDIO_MODES)).nullish(),
    resolution: z.enum(RESOLUTIONS, oneOf(RESOLUTIONS)).nullish(),
    aspect_ratio: z.enum(ASPECT_RATIOS, oneOf(ASPECT_RATIOS)).nullish(),
    // The new design documents an int (the legacy one a string); "5" is refused, not guessed at.
    duration: z.number({ error: 'must be an integer (a JSON number, not a string)' }).nullish(),
  }).nullish(),
  options: obj({
    callback_url: str().nullish(),
    external_task_id: str().nullish(),
    watermark_info: obj({ enabled: bool().nullish() }).nullish(),
  }).nullish(),
});

/** Parses a new-design create body for the model and product of its path; throws AppError only. */
export function parseKlingNewCreate(body: unknown, options: { model: string; kind: TaskKind }): VideoRequest {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = readShape(bodySchema, body);
  const contents = options.kind === 'image2video' ? parseContents(body) : null;
  if (contents?.prompt != null && b.prompt != null) {
    throw new AppError('invalid_parameter', 'prompt is given twice: send it either as prompt or as a contents item of type prompt', { field: 'prompt' });
  }
  const prompt = contents?.prompt ?? b.prompt ?? '';
  const settings = b.settings ?? {};
  const shots = settings.multi_shot === false ? null : shotsOf(prompt);
  const request: VideoRequest = {
    model: options.model,
    prompt,
    negativePrompt: '',
    multiShot: shots === null ? null : ('customize' satisfies ShotType),
    shots: shots ?? [],
    duration: settings.duration ?? 5,
    tier: TIER_OF[settings.resolution ?? '720p'],
    aspectRatio: settings.aspect_ratio ?? '16:9',
    sound: settings.audio === 'native',
    voiceIds: [],
    cfgScale: null,
    cameraControl: null,
    watermark: b.options?.watermark_info?.enabled ?? false,
    callbackUrl: b.options?.callback_url || null,
    externalTaskId: b.options?.external_task_id || null,
    firstFrame: contents?.firstFrame ?? null,
    lastFrame: contents?.lastFrame ?? null,
    elements: contents?.elements ?? [],
  };
  const violation = checkVideoRequest(request, { kind: options.kind });
  if (violation) throw fieldError(klingNewWireField(violation.field, contents?.positions ?? NO_CONTENTS), violation.rule);
  return request;
}

/**
 * settings.multi_shot (default true) honours the prompt's `镜头 n, m, words;` syntax: its shots
 * become customize shots. A prompt without the syntax stays one shot (null).
 */
function shotsOf(prompt: string): Shot[] | null {
  const parsed = parseShotSyntax(prompt);
  if (parsed.kind === 'invalid') throw new AppError('invalid_parameter', `prompt ${parsed.rule}`, { field: 'prompt' });
  return parsed.kind === 'shots' ? parsed.shots : null;
}
