/**
 * The Novita wire name of each VideoRequest field, so a domain RuleViolation (`shots[1].duration`)
 * reads in the client's words (`multi_prompt[1].duration`). Fields Novita has no wire name for
 * are never set by its parser; they keep a name so the record stays total over VideoRequest.
 */
import type { VideoRequest } from '../../domain/video-request.ts';
import { wirePath } from '../shared/wire-shape.ts';

export const NOVITA_FIELD_NAMES = {
  // The model and its tier are the path (`/v3/async/kling-v3.0-pro-t2v`).
  model: 'model',
  prompt: 'prompt',
  negativePrompt: 'negative_prompt',
  multiShot: 'multi_prompt',
  shots: 'multi_prompt',
  duration: 'duration',
  tier: 'model',
  aspectRatio: 'aspect_ratio',
  sound: 'sound',
  voiceIds: 'voice_ids',
  cfgScale: 'cfg_scale',
  cameraControl: 'camera_control',
  watermark: 'watermark',
  callbackUrl: 'callback_url',
  externalTaskId: 'external_task_id',
  firstFrame: 'image',
  lastFrame: 'image_tail',
  elements: 'elements',
} as const satisfies Record<keyof VideoRequest, string>;

/** A domain path on the Novita wire: the head is renamed, indexes and the rest are kept. */
export function novitaWireField(path: string): string {
  return wirePath(path, { heads: NOVITA_FIELD_NAMES });
}
