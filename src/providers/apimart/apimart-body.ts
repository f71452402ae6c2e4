/**
 * A VideoRequest as APIMart's create body (spec §5.1), written the way Reelay's own APIMart
 * dialect reads it, and the requests that body cannot carry. Images go by URL only: a first
 * frame alone, or first + last, in `image_urls` (their presence makes it image-to-video).
 */
import type { TaskKind } from '../../domain/task.ts';
import type { AspectRatio, ShotType, Tier, VideoRequest } from '../../domain/video-request.ts';
import type { UpstreamSubmission } from '../remote-provider.ts';
import { firstLimitation, isHttpUrl, type Limitation } from '../reseller-shared.ts';

export type ApimartShot = { index: number; prompt: string; duration: number };

export type ApimartElement = { name: string; description: string; element_input_urls: string[] };

export type ApimartCreateBody = {
  model: string;
  prompt?: string;
  negative_prompt?: string;
  mode: Tier;
  /** A JSON number: APIMart refuses a quoted one. */
  duration: number;
  aspect_ratio: AspectRatio;
  image_urls?: string[];
  watermark?: boolean;
  audio: boolean;
  multi_shot?: boolean;
  shot_type?: ShotType;
  multi_prompt?: ApimartShot[];
  elements?: ApimartElement[];
};

const LIMITS: readonly Limitation[] = [
  { applies: (r) => r.voiceIds.length > 0, why: 'APIMart has no voice field' },
  { applies: (r) => r.cameraControl !== null, why: 'APIMart has no camera_control field' },
  {
    applies: (r) => r.elements.some((e) => e.kind === 'saved'),
    why: 'APIMart takes elements only as subjects made on the fly (name, description, images), not saved element ids',
  },
  {
    applies: (r) => r.elements.some((e) => e.kind === 'subject' && !e.imageUrls.every(isHttpUrl)),
    why: 'APIMart takes element images only as http(s) URLs',
  },
  {
    applies: (r, kind) => kind === 'image2video' && r.firstFrame === null,
    why: 'APIMart cannot take a last frame without a first frame: image_urls[0] is always the first frame',
  },
  {
    applies: (r) => [r.firstFrame, r.lastFrame].some((f) => f !== null && !isHttpUrl(f)),
    why: 'APIMart takes frame images only as http(s) URLs in image_urls, not base64',
  },
];

export function apimartUnsupported(request: VideoRequest, kind: TaskKind): string | null {
  return firstLimitation(LIMITS, request, kind);
}

/**
 * The create body. cfg_scale is left out: Kling applies it only to v1.x models (spec §1.3). APIMart
 * documents no callback, so Reelay polls it.
 */
export function apimartCreateBody(submission: UpstreamSubmission): ApimartCreateBody {
  const { request, upstreamModel } = submission;
  const images = [request.firstFrame, request.lastFrame].filter((f): f is string => f !== null);
  const subjects = request.elements.flatMap((e) => (e.kind === 'subject' ? [{ name: e.name, description: e.description, element_input_urls: [...e.imageUrls] }] : []));
  return {
    model: upstreamModel,
    ...(request.prompt !== '' ? { prompt: request.prompt } : {}),
    ...(request.negativePrompt !== '' ? { negative_prompt: request.negativePrompt } : {}),
    mode: request.tier,
    duration: request.duration,
    aspect_ratio: request.aspectRatio,
    ...(images.length > 0 ? { image_urls: images } : {}),
    ...(request.watermark ? { watermark: true } : {}),
    audio: request.sound,
    ...(request.multiShot !== null ? { multi_shot: true, shot_type: request.multiShot } : {}),
    ...(request.multiShot === 'customize' ? { multi_prompt: request.shots.map((s) => ({ index: s.index, prompt: s.prompt, duration: s.duration })) } : {}),
    ...(subjects.length > 0 ? { elements: subjects } : {}),
  };
}
