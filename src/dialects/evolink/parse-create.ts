/**
 * The EvoLink unified create body (spec §2.1, seeds 000 and 002) -> VideoRequest. zod checks the
 * shape here; every cross-field rule lives in checkVideoRequest. Both fail as an AppError whose
 * message starts with the wire field the client sent.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { parseShotSyntax, promptOutsideShots } from '../../domain/shot-syntax.ts';
import {
  ASPECT_RATIOS,
  SHOT_TYPES,
  TURBO_MODEL,
  checkVideoRequest,
  type Shot,
  type ShotType,
  type Tier,
  type VideoRequest,
} from '../../domain/video-request.ts';
import { canonicalModel } from '../shared/served-models.ts';
import { NOT_AN_OBJECT, TRUE_OR_FALSE, bool, digitInteger, int, isObjectBody, jsonInteger, list, obj, oneOf, readShape, str, wirePath } from '../shared/wire-shape.ts';
import { EVOLINK_FIELD_NAMES } from './field-names.ts';
import { EVOLINK_MODELS } from './models.ts';

/** EvoLink's `quality` names the output height; Reelay's tier is what it means. */
const QUALITY_TIERS = { '720p': 'std', '1080p': 'pro', '4k': '4k' } as const satisfies Record<string, Tier>;
const QUALITIES = Object.keys(QUALITY_TIERS) as Array<keyof typeof QUALITY_TIERS>;
const SOUNDS = ['on', 'off'] as const;
const DEFAULT_DURATION = 5;
const NON_EMPTY = 'must be a non-empty string';
const SYNTAX = 'shot syntax (镜头 n, m, words;)';

// [I] The seed-000 `multi_prompt` items are "segments with own prompt and duration"; `index` is
// optional (position order when absent) so bodies ported from Kling or APIMart work unchanged.
const shotItem = obj({ index: int().nullish(), prompt: str(), duration: z.unknown().optional() });

// [I] `model_params` is documented as "multi-shot control and watermark"; its inner keys are
// taken from the Kling body EvoLink forwards to: multi_shot, shot_type, multi_prompt, watermark.
export const bodySchema = z.object({
  model: str(),
  prompt: str().nullish(),
  negative_prompt: str().nullish(),
  duration: z.unknown().optional(),
  aspect_ratio: z.enum(ASPECT_RATIOS, oneOf(ASPECT_RATIOS)).nullish(),
  quality: z.enum(QUALITIES, oneOf(QUALITIES)).nullish(),
  sound: z.enum(SOUNDS, oneOf(SOUNDS)).nullish(),
  generate_audio: bool(TRUE_OR_FALSE).nullish(),
  voice_ids: list(z.string({ error: NON_EMPTY }).regex(/\S/, { error: NON_EMPTY })).nullish(),
  multi_prompt: list(shotItem).nullish(),
  model_params: obj({
    multi_shot: bool(TRUE_OR_FALSE).nullish(),
    shot_type: z.enum(SHOT_TYPES, oneOf(SHOT_TYPES)).nullish(),
    multi_prompt: list(shotItem).nullish(),
    watermark: bool(TRUE_OR_FALSE).nullish(),
  }).nullish(),
  callback_url: str().nullish(),
});

type Body = z.infer<typeof bodySchema>;
type ShotSource = { multiShot: ShotType | null; shots: Shot[]; positions: number[]; wire: string; prompt: string };

/** Parses an EvoLink create body; throws AppError (and nothing else) on any bad input. */
export function parseEvolinkCreate(body: unknown, options: { models: readonly string[] }): VideoRequest {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = readShape(bodySchema, body);
  const model = canonicalModel(b.model, EVOLINK_MODELS, options.models);
  const source = shotsOf(b, model);
  const request: VideoRequest = {
    model,
    prompt: source.prompt,
    negativePrompt: b.negative_prompt ?? '',
    multiShot: source.multiShot,
    shots: source.shots,
    duration: jsonInteger(b.duration, 'duration', DEFAULT_DURATION),
    tier: QUALITY_TIERS[b.quality ?? '720p'],
    aspectRatio: b.aspect_ratio ?? '16:9',
    // Seed 000 says `generate_audio`, the current doc `sound`: either one turns audio on.
    sound: b.generate_audio === true || b.sound === 'on',
    voiceIds: b.voice_ids ?? [],
    cfgScale: null,
    cameraControl: null,
    watermark: b.model_params?.watermark ?? false,
    callbackUrl: b.callback_url || null,
    externalTaskId: null,
    firstFrame: null,
    lastFrame: null,
    elements: [],
  };
  const violation = checkVideoRequest(request, { kind: 'text2video' });
  if (violation) {
    const { field, message } = describe(violation.field, violation.rule, source);
    throw new AppError('invalid_parameter', message, { field });
  }
  return request;
}

/**
 * Where the shots come from: `multi_prompt` (seed 000) or `model_params` (current doc), or, for the
 * turbo model, the prompt's shot syntax (seed 002). The syntax is taken out of the prompt; text
 * before the first shot stays as the prompt (a preamble for the whole clip), so the prompt and
 * the shots never say the same thing twice and an upstream can write the syntax back.
 */
function shotsOf(b: Body, model: string): ShotSource {
  const params = b.model_params ?? {};
  const prompt = b.prompt ?? '';
  if (b.multi_prompt && params.multi_prompt) {
    throw new AppError('invalid_parameter', 'multi_prompt must be given once: at the top level or in model_params, not both', { field: 'multi_prompt' });
  }
  const items = b.multi_prompt ?? params.multi_prompt ?? [];
  const wire = b.multi_prompt ? 'multi_prompt' : 'model_params.multi_prompt';
  let multiShot: ShotType | null;
  if (params.multi_shot === false) multiShot = null; // as at Kling: multi_shot false ignores the rest
  else if (params.shot_type) multiShot = params.shot_type;
  else if (params.multi_shot === true) {
    throw new AppError('invalid_parameter', 'model_params.shot_type is required when model_params.multi_shot is true', { field: 'model_params.shot_type' });
  } else multiShot = items.length > 0 ? 'customize' : null;

  // Kling's new design: "if multi_shot is false, the shot syntax is not honoured".
  const syntax = model === TURBO_MODEL && params.multi_shot !== false ? parseShotSyntax(prompt) : { kind: 'none' as const };
  if (syntax.kind === 'invalid') throw new AppError('invalid_parameter', `prompt ${syntax.rule}`, { field: 'prompt' });
  if (syntax.kind === 'shots') {
    if (multiShot !== null) {
      throw new AppError('invalid_parameter', `prompt ${SYNTAX} cannot be combined with multi_prompt or model_params.shot_type`, { field: 'prompt' });
    }
    return { multiShot: 'customize', shots: syntax.shots, positions: [], wire: 'prompt', prompt: promptOutsideShots(prompt) };
  }
  if (multiShot !== 'customize') return { multiShot, shots: [], positions: [], wire, prompt };
  const sorted = items
    .map((s, position) => ({ position, shot: { index: s.index ?? position + 1, prompt: s.prompt, duration: digitInteger(s.duration) } }))
    .sort((x, y) => x.shot.index - y.shot.index);
  return { multiShot, shots: sorted.map((s) => s.shot), positions: sorted.map((s) => s.position), wire, prompt };
}

/** A domain violation in EvoLink's words; shots written in the prompt are named by their 镜头 number. */
function describe(path: string, rule: string, source: ShotSource): { field: string; message: string } {
  if (source.wire === 'prompt' && path.startsWith('shots')) {
    const shot = /^shots\[(\d+)\]\.(\w+)$/.exec(path);
    const what = shot ? `(镜头 ${Number(shot[1]) + 1}) ${shot[2] === 'prompt' ? 'words' : shot[2]}` : SYNTAX;
    return { field: 'prompt', message: `prompt ${what} ${rule}` };
  }
  const field = wirePath(path, { heads: { ...EVOLINK_FIELD_NAMES, shots: source.wire }, shotPositions: source.positions });
  return { field, message: `${field} ${rule}` };
}
