/** The normalized request every dialect maps to, and every rule of the spec, checked once. */
import type { TaskKind } from './task.ts';
import { checkElements, type VideoElement } from './elements.ts';

export const TIERS = ['std', 'pro', '4k'] as const;
export type Tier = (typeof TIERS)[number];

export const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

export const SHOT_TYPES = ['customize', 'intelligence'] as const;
export type ShotType = (typeof SHOT_TYPES)[number];

export const CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const;
export type CameraType = (typeof CAMERA_TYPES)[number];
export const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;
export type CameraAxis = (typeof CAMERA_AXES)[number];
export type CameraControl = { type: CameraType; config?: Partial<Record<CameraAxis, number | undefined>> | undefined };

/** The canonical model names a VideoRequest carries; dialects map their own names onto them. */
export const STANDARD_MODEL = 'kling-v3';
export const TURBO_MODEL = 'kling-v3-turbo';

export const LIMITS = {
  promptChars: 2500,
  shotPromptChars: 512,
  maxShots: 6,
  minDuration: 3,
  maxDuration: 15,
  maxVoices: 2,
  cameraRange: 10,
  callbackUrlChars: 2048,
  externalTaskIdChars: 256,
  /** Kling's "≤10 MB" per image (§1.10), read as MiB: the larger reading never refuses a valid image. */
  frameBytes: 10 * 1024 * 1024,
} as const;

export type Shot = { index: number; prompt: string; duration: number };

export type VideoRequest = {
  model: string;
  prompt: string;
  negativePrompt: string;
  /** null = one shot; customize = the client wrote the shots; intelligence = the model splits. */
  multiShot: ShotType | null;
  /** The client's shots (customize only), ordered by index 1..n. */
  shots: Shot[];
  /** Whole seconds. */
  duration: number;
  tier: Tier;
  aspectRatio: AspectRatio;
  sound: boolean;
  voiceIds: string[];
  cfgScale: number | null;
  cameraControl: CameraControl | null;
  watermark: boolean;
  callbackUrl: string | null;
  externalTaskId: string | null;
  /** Image-to-video start image: an http(s) URL or raw base64, as the client gave it. */
  firstFrame: string | null;
  /** Image-to-video end image (Kling `image_tail`). */
  lastFrame: string | null;
  /** Subjects or saved elements to keep consistent (at most 3; never with voices). */
  elements: VideoElement[];
};

/**
 * The fields a text-to-video dialect with no wire place for them leaves unset (no voices, frames,
 * elements, camera, watermark, callback or client id). A new object each call: callers own it.
 */
export function unsetRequestFields(): Pick<
  VideoRequest,
  'voiceIds' | 'cfgScale' | 'cameraControl' | 'watermark' | 'callbackUrl' | 'externalTaskId' | 'firstFrame' | 'lastFrame' | 'elements'
> {
  return { voiceIds: [], cfgScale: null, cameraControl: null, watermark: false, callbackUrl: null, externalTaskId: null, firstFrame: null, lastFrame: null, elements: [] };
}

/** A broken rule: `field` is the domain field path, `rule` reads after the field's wire name. */
export type RuleViolation = { field: string; rule: string };

const VOICE_REF = /<<<voice_(\d+)>>>/g;

function isWholeNumberIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Checks every cross-field rule of spec §1.3 and §1.10; returns the first violation, or null.
 * `kind` is the product the request came through; without it the frame-presence rules are skipped
 * (the request alone cannot tell an image-to-video request that lost its images).
 */
export function checkVideoRequest(req: VideoRequest, options: { kind?: TaskKind } = {}): RuleViolation | null {
  const { promptChars, shotPromptChars, maxShots, minDuration, maxDuration } = LIMITS;
  if (!isWholeNumberIn(req.duration, minDuration, maxDuration)) {
    return { field: 'duration', rule: `must be an integer between ${minDuration} and ${maxDuration}` };
  }
  if ([...req.prompt].length > promptChars) {
    return { field: 'prompt', rule: `must be at most ${promptChars} characters` };
  }
  if ([...req.negativePrompt].length > promptChars) {
    return { field: 'negativePrompt', rule: `must be at most ${promptChars} characters` };
  }
  // Image-to-video may animate the frames alone: Kling marks its prompt optional (§1.10).
  const hasFrames = req.firstFrame !== null || req.lastFrame !== null;
  const promptRequired = (req.multiShot === null || req.multiShot === 'intelligence') && !hasFrames;
  if (promptRequired && req.prompt.trim() === '') {
    return { field: 'prompt', rule: 'is required unless multi-shot is customized' };
  }
  const shotViolation = req.multiShot === 'customize' ? checkShots(req.shots, req.duration, maxShots, shotPromptChars) : null;
  if (shotViolation) return shotViolation;
  const voiceViolation = checkVoices(req);
  if (voiceViolation) return voiceViolation;
  if (req.cfgScale !== null && !(req.cfgScale >= 0 && req.cfgScale <= 1)) {
    return { field: 'cfgScale', rule: 'must be a number between 0 and 1' };
  }
  const elementViolation = checkElements(req.elements, [req.prompt, ...req.shots.map((s) => s.prompt)], req.voiceIds.length);
  if (elementViolation) return elementViolation;
  if (req.model === TURBO_MODEL && req.tier === '4k') {
    return { field: 'tier', rule: `4k is not available for ${TURBO_MODEL}; use std (720p) or pro (1080p)` };
  }
  const frameViolation = checkFrames(req, options.kind);
  if (frameViolation) return frameViolation;
  if (req.cameraControl) {
    const cameraViolation = checkCameraControl(req.cameraControl);
    if (cameraViolation) return cameraViolation;
  }
  if (req.callbackUrl !== null) {
    const callbackViolation = checkCallbackUrl(req.callbackUrl);
    if (callbackViolation) return callbackViolation;
  }
  if (req.externalTaskId !== null && req.externalTaskId.length > LIMITS.externalTaskIdChars) {
    return { field: 'externalTaskId', rule: `must be at most ${LIMITS.externalTaskIdChars} characters` };
  }
  // It is a lookup key and a column of its own: control characters (NUL above all, which
  // PostgreSQL refuses in text) have no place in an id.
  if (req.externalTaskId !== null && /\p{Cc}/u.test(req.externalTaskId)) {
    return { field: 'externalTaskId', rule: 'must not contain control characters' };
  }
  return null;
}

function checkShots(shots: Shot[], total: number, maxShots: number, maxChars: number): RuleViolation | null {
  if (shots.length < 1 || shots.length > maxShots) {
    return { field: 'shots', rule: `must hold between 1 and ${maxShots} shots when the shot type is customize` };
  }
  for (let i = 0; i < shots.length; i++) {
    const shot = shots[i] as Shot;
    if (shot.index !== i + 1) {
      return { field: `shots[${i}].index`, rule: `must be ${i + 1}: shot indexes run 1..n without gaps` };
    }
    if (shot.prompt.trim() === '') return { field: `shots[${i}].prompt`, rule: 'must not be empty' };
    if ([...shot.prompt].length > maxChars) {
      return { field: `shots[${i}].prompt`, rule: `must be at most ${maxChars} characters` };
    }
    if (!isWholeNumberIn(shot.duration, 1, total)) {
      return { field: `shots[${i}].duration`, rule: `must be an integer between 1 and the total duration (${total})` };
    }
  }
  const sum = shots.reduce((acc, s) => acc + s.duration, 0);
  if (sum !== total) {
    return { field: 'shots', rule: `durations must add up to the total duration (${total}), not ${sum}` };
  }
  return null;
}

function checkVoices(req: VideoRequest): RuleViolation | null {
  if (req.voiceIds.length > LIMITS.maxVoices) {
    return { field: 'voiceIds', rule: `must hold at most ${LIMITS.maxVoices} voices` };
  }
  if (req.voiceIds.length > 0 && !req.sound) {
    return { field: 'voiceIds', rule: 'requires sound to be on' };
  }
  const texts = [{ field: 'prompt', text: req.prompt }, ...req.shots.map((s, i) => ({ field: `shots[${i}].prompt`, text: s.prompt }))];
  for (const { field, text } of texts) {
    for (const match of text.matchAll(VOICE_REF)) {
      const n = Number(match[1]);
      if (n < 1 || n > req.voiceIds.length) {
        return { field, rule: `references <<<voice_${n}>>> but only ${req.voiceIds.length} voice(s) are listed` };
      }
    }
  }
  return null;
}

function checkFrames(req: VideoRequest, kind: TaskKind | undefined): RuleViolation | null {
  if (kind === 'text2video' && (req.firstFrame !== null || req.lastFrame !== null)) {
    return { field: req.firstFrame !== null ? 'firstFrame' : 'lastFrame', rule: 'is not supported for text-to-video' };
  }
  if (kind === 'image2video' && req.firstFrame === null && req.lastFrame === null) {
    return { field: 'firstFrame', rule: 'is required for image-to-video unless a last frame is given' };
  }
  for (const field of ['firstFrame', 'lastFrame'] as const) {
    const value = req[field];
    // A URL is size-checked when it is fetched; base64 is the bytes themselves, so check it now.
    if (value !== null && !/^https?:\/\//i.test(value) && base64DecodedBytes(value) > LIMITS.frameBytes) {
      return { field, rule: 'must be at most 10 MB (decoded)' };
    }
  }
  // Kling's "first/last frame video generation is not supported" with multi_shot (seed 001) names
  // the start+end-frame mode; §1.10 lists multi_shot among image2video fields, so a first frame stays.
  if (req.lastFrame !== null && req.multiShot !== null) {
    return { field: 'lastFrame', rule: 'is not supported with multi-shot' };
  }
  if (req.lastFrame !== null && req.cameraControl !== null) {
    return { field: 'cameraControl', rule: 'cannot be combined with a last frame' };
  }
  return null;
}

/** Bytes that base64 text decodes to, without decoding it (whitespace is not data). */
function base64DecodedBytes(text: string): number {
  const chars = text.replace(/\s+/g, '');
  const padding = chars.endsWith('==') ? 2 : chars.endsWith('=') ? 1 : 0;
  return Math.floor((chars.length * 3) / 4) - padding;
}

function checkCameraControl(camera: CameraControl): RuleViolation | null {
  const values = CAMERA_AXES.map((axis) => camera.config?.[axis] ?? 0);
  if (camera.type !== 'simple') {
    return values.some((v) => v !== 0)
      ? { field: 'cameraControl.config', rule: `must be empty when the type is ${camera.type}` }
      : null;
  }
  const nonZero = values.filter((v) => v !== 0);
  if (nonZero.length !== 1) {
    return { field: 'cameraControl.config', rule: 'must set exactly one of horizontal, vertical, pan, tilt, roll, zoom to a non-zero value when the type is simple' };
  }
  const range = LIMITS.cameraRange;
  for (const axis of CAMERA_AXES) {
    const v = camera.config?.[axis] ?? 0;
    if (!(v >= -range && v <= range)) {
      return { field: `cameraControl.config.${axis}`, rule: `must be between -${range} and ${range}` };
    }
  }
  return null;
}

function checkCallbackUrl(url: string): RuleViolation | null {
  if (url.length > LIMITS.callbackUrlChars) {
    return { field: 'callbackUrl', rule: `must be at most ${LIMITS.callbackUrlChars} characters` };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { field: 'callbackUrl', rule: 'must be an absolute http(s) URL' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { field: 'callbackUrl', rule: 'must be an absolute http(s) URL' };
  }
  return null;
}

/** Pixel size of the output for a tier and aspect ratio (spec: std 720p, pro 1080p, 4k 2160p). */
export function outputSize(tier: Tier, aspect: AspectRatio): { width: number; height: number } {
  const short = tier === 'std' ? 720 : tier === 'pro' ? 1080 : 2160;
  const long = tier === 'std' ? 1280 : tier === 'pro' ? 1920 : 3840;
  if (aspect === '16:9') return { width: long, height: short };
  if (aspect === '9:16') return { width: short, height: long };
  return { width: short, height: short };
}

/** The shots a renderer shows: the client's, or one shot spanning the whole clip. */
export function effectiveShots(req: VideoRequest): Shot[] {
  if (req.multiShot === 'customize' && req.shots.length > 0) return req.shots;
  return [{ index: 1, prompt: req.prompt, duration: req.duration }];
}
