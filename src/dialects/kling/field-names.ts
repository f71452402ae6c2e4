/**
 * The official Kling wire name of each VideoRequest field. A domain RuleViolation names the
 * domain path (`shots[2].duration`); the dialect swaps the head for its wire name
 * (`multi_prompt[2].duration`) so the client reads the field it actually sent. Typed against
 * VideoRequest so a new domain field cannot be forgotten here.
 */
import type { VideoRequest } from '../../domain/video-request.ts';

export const KLING_FIELD_NAMES = {
  model: 'model_name',
  prompt: 'prompt',
  negativePrompt: 'negative_prompt',
  multiShot: 'shot_type',
  shots: 'multi_prompt',
  duration: 'duration',
  tier: 'mode',
  aspectRatio: 'aspect_ratio',
  sound: 'sound',
  voiceIds: 'voice_list',
  cfgScale: 'cfg_scale',
  cameraControl: 'camera_control',
  watermark: 'watermark_info.enabled',
  callbackUrl: 'callback_url',
  externalTaskId: 'external_task_id',
  firstFrame: 'image',
  lastFrame: 'image_tail',
  elements: 'element_list',
} as const satisfies Record<keyof VideoRequest, string>;
