/**
 * A Reelay task as the Kling legacy create body (spec §1.3 text2video, §1.10 image2video). Only
 * what the request says is sent: Kling's defaults stand for the rest, and none of new-api's
 * forced defaults (`cfg_scale: 0.5`, a duplicate `model`, `1:1`) are copied (spec §7.5).
 */
import type { VideoElement } from '../../domain/elements.ts';
import type { TaskKind } from '../../domain/task.ts';
import type { CameraAxis, CameraType, ShotType, Tier, VideoRequest } from '../../domain/video-request.ts';
import type { UpstreamSubmission } from '../remote-provider.ts';

export type KlingCameraControl = { type: CameraType; config?: Partial<Record<CameraAxis, number>> };

export type KlingCreateBody = {
  model_name: string;
  prompt?: string;
  negative_prompt?: string;
  multi_shot?: boolean;
  shot_type?: ShotType;
  /** Durations are strings on this wire, as is the total. */
  multi_prompt?: { index: number; prompt: string; duration: string }[];
  duration: string;
  mode: Tier;
  aspect_ratio: string;
  sound: 'on' | 'off';
  voice_list?: { voice_id: string }[];
  element_list?: { element_id: number | string }[];
  cfg_scale?: number;
  camera_control?: KlingCameraControl;
  watermark_info?: { enabled: true };
  callback_url?: string;
  external_task_id: string;
  image?: string;
  image_tail?: string;
};

/**
 * Why the legacy API cannot carry `request` as a `kind` task, or null when it can. Subjects made
 * on the fly (APIMart's name + reference images) have no legacy field; saved elements exist only
 * on image2video (§1.10 lists `element_list`, §1.3 does not).
 */
export function klingUnsupported(request: VideoRequest, kind: TaskKind): string | null {
  if (request.elements.some((e) => e.kind === 'subject')) {
    return 'the Kling legacy API takes only saved elements (element_id); subjects made from reference images cannot be sent';
  }
  if (kind === 'text2video' && request.elements.length > 0) {
    return 'the Kling legacy text2video API has no element_list; elements need image2video';
  }
  return null;
}

export function klingCreateBody(submission: UpstreamSubmission): KlingCreateBody {
  const r = submission.request;
  const body: KlingCreateBody = {
    model_name: submission.upstreamModel,
    duration: String(r.duration),
    mode: r.tier,
    aspect_ratio: r.aspectRatio,
    sound: r.sound ? 'on' : 'off',
    // Reelay's id, not the client's: it is what a lookup after an ambiguous submit searches for,
    // and it is unique per account as Kling demands; the client's own id may repeat across keys.
    external_task_id: submission.reelayId,
  };
  if (r.prompt !== '') body.prompt = r.prompt;
  if (r.negativePrompt !== '') body.negative_prompt = r.negativePrompt;
  if (r.multiShot !== null) {
    body.multi_shot = true;
    body.shot_type = r.multiShot;
    if (r.multiShot === 'customize') {
      body.multi_prompt = r.shots.map((s) => ({ index: s.index, prompt: s.prompt, duration: String(s.duration) }));
    }
  }
  if (r.voiceIds.length > 0) body.voice_list = r.voiceIds.map((id) => ({ voice_id: id }));
  const saved = r.elements.flatMap((e) => (e.kind === 'saved' ? [elementOf(e)] : []));
  if (saved.length > 0) body.element_list = saved;
  if (r.cfgScale !== null) body.cfg_scale = r.cfgScale;
  if (r.cameraControl !== null) body.camera_control = cameraOf(r.cameraControl);
  if (r.watermark) body.watermark_info = { enabled: true };
  if (submission.callbackUrl !== null) body.callback_url = submission.callbackUrl;
  if (submission.kind === 'image2video') {
    // URLs or raw base64, passed as the client gave them: Kling takes both (§1.10).
    if (r.firstFrame !== null) body.image = r.firstFrame;
    if (r.lastFrame !== null) body.image_tail = r.lastFrame;
  }
  return body;
}

/**
 * Kling types `element_id` as a long. Ids up to 2^53 go as JSON numbers; a longer one goes as a
 * string, since a JSON number would silently round it to another element (Kling's parser is
 * seen accepting numeric strings [S: client scripts sending str(element_id) to kling-v3]).
 */
function elementOf(element: Extract<VideoElement, { kind: 'saved' }>): { element_id: number | string } {
  const n = Number(element.elementId);
  // `String(n) === id` also keeps a leading-zero id as it was written.
  return { element_id: Number.isSafeInteger(n) && String(n) === element.elementId ? n : element.elementId };
}

function cameraOf(camera: NonNullable<VideoRequest['cameraControl']>): KlingCameraControl {
  if (camera.config === undefined) return { type: camera.type };
  const config: Partial<Record<CameraAxis, number>> = {};
  for (const [axis, value] of Object.entries(camera.config) as [CameraAxis, number | undefined][]) {
    if (value !== undefined) config[axis] = value;
  }
  return { type: camera.type, config };
}
