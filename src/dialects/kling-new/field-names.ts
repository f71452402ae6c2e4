/**
 * The Kling new-design wire name of each VideoRequest field (spec §1.11): the model is in the path,
 * settings and options are nested, shots are written inside the prompt, images are `contents[]`
 * items. Typed against VideoRequest so a new domain field cannot be forgotten here. Fields the
 * new design has no place for keep their legacy names; this dialect never sets them.
 */
import type { VideoRequest } from '../../domain/video-request.ts';

export const KLING_NEW_FIELD_NAMES = {
  model: 'model',
  prompt: 'prompt',
  negativePrompt: 'negative_prompt',
  multiShot: 'settings.multi_shot',
  shots: 'prompt',
  duration: 'settings.duration',
  tier: 'settings.resolution',
  aspectRatio: 'settings.aspect_ratio',
  sound: 'settings.audio',
  voiceIds: 'voice_list',
  cfgScale: 'cfg_scale',
  cameraControl: 'camera_control',
  watermark: 'options.watermark_info.enabled',
  callbackUrl: 'options.callback_url',
  externalTaskId: 'options.external_task_id',
  firstFrame: 'contents[type=first_frame]',
  lastFrame: 'contents[type=last_frame]',
  elements: 'contents[type=element]',
} as const satisfies Record<keyof VideoRequest, string>;

/** Where each image item sat in the client's `contents` array, so messages point at it. */
export type ContentPositions = { firstFrame: number | null; lastFrame: number | null; elements: number[] };

export const NO_CONTENTS: ContentPositions = { firstFrame: null, lastFrame: null, elements: [] };

/**
 * A domain path on the new-design wire: `shots` -> `prompt (镜头 shots)`, `shots[1].duration` ->
 * `prompt (镜头 2 duration)`, `firstFrame` -> `contents[0].url`, `elements[1].elementId` ->
 * `contents[3].element_id`.
 */
export function klingNewWireField(path: string, contents: ContentPositions): string {
  const match = /^([A-Za-z]+)(?:\[(\d+)\])?(?:\.(.*))?$/.exec(path);
  if (!match) return path;
  const [, head = '', index, rest] = match;
  const i = index === undefined ? null : Number(index);
  if (head === 'shots') {
    if (i === null) return 'prompt (镜头 shots)';
    const part = rest === 'prompt' ? 'words' : rest === 'duration' ? 'duration' : 'n';
    return `prompt (镜头 ${i + 1} ${part})`;
  }
  if (head === 'firstFrame' && contents.firstFrame !== null) return `contents[${contents.firstFrame}].url`;
  if (head === 'lastFrame' && contents.lastFrame !== null) return `contents[${contents.lastFrame}].url`;
  if (head === 'elements' && i !== null) {
    const at = contents.elements[i];
    return at === undefined ? `contents[type=element]` : `contents[${at}]${rest === 'elementId' ? '.element_id' : ''}`;
  }
  const wire = Object.hasOwn(KLING_NEW_FIELD_NAMES, head) ? KLING_NEW_FIELD_NAMES[head as keyof typeof KLING_NEW_FIELD_NAMES] : head;
  return `${wire}${i === null ? '' : `[${i}]`}${rest === undefined ? '' : `.${rest}`}`;
}
