/**
 * The EvoLink wire name of each VideoRequest field, so a domain RuleViolation names the field the
 * client sent. Typed against VideoRequest so a new domain field cannot be forgotten here. Fields
 * EvoLink has no place for keep a readable name; no EvoLink body can set them.
 */
import type { VideoRequest } from '../../domain/video-request.ts';

export const EVOLINK_FIELD_NAMES = {
  model: 'model',
  prompt: 'prompt',
  negativePrompt: 'negative_prompt',
  multiShot: 'model_params.shot_type',
  // Where the shots came from decides this one (multi_prompt, model_params.multi_prompt or the
  // prompt's shot syntax); parse-create passes the right name.
  shots: 'multi_prompt',
  duration: 'duration',
  tier: 'quality',
  aspectRatio: 'aspect_ratio',
  sound: 'generate_audio',
  voiceIds: 'voice_ids',
  cfgScale: 'cfg_scale',
  cameraControl: 'camera_control',
  watermark: 'model_params.watermark',
  callbackUrl: 'callback_url',
  externalTaskId: 'external_task_id',
  firstFrame: 'image',
  lastFrame: 'image_tail',
  elements: 'elements',
} as const satisfies Record<keyof VideoRequest, string>;
