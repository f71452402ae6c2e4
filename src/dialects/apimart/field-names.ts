/**
 * The APIMart wire name of each VideoRequest field (spec §5.1), so a domain RuleViolation names the
 * field the client sent. Typed against VideoRequest so a new domain field cannot be forgotten here.
 * Fields APIMart has no place for keep a readable name; no APIMart body can set them.
 */
import type { VideoRequest } from '../../domain/video-request.ts';

export const APIMART_FIELD_NAMES = {
  model: 'model',
  prompt: 'prompt',
  negativePrompt: 'negative_prompt',
  multiShot: 'shot_type',
  shots: 'multi_prompt',
  duration: 'duration',
  tier: 'mode',
  aspectRatio: 'aspect_ratio',
  sound: 'audio',
  voiceIds: 'voice_ids',
  cfgScale: 'cfg_scale',
  cameraControl: 'camera_control',
  watermark: 'watermark',
  callbackUrl: 'callback_url',
  externalTaskId: 'external_task_id',
  firstFrame: 'image_urls[0]',
  lastFrame: 'image_urls[1]',
  elements: 'elements',
} as const satisfies Record<keyof VideoRequest, string>;

/** Nested domain names that APIMart spells differently. */
export const APIMART_NESTED_NAMES = { imageUrls: 'element_input_urls' } as const;
