/**
 * A VideoRequest as a Novita async create (spec §4.1): the model and the tier are the path
 * (`/v3/async/kling-v3.0-pro-t2v`), the rest a typed JSON body, written the way Reelay's own
 * Novita dialect reads it. Novita can say less than the others; what it cannot is refused.
 */
import type { TaskKind } from '../../domain/task.ts';
import type { AspectRatio, VideoRequest } from '../../domain/video-request.ts';
import type { UpstreamSubmission } from '../remote-provider.ts';
import { firstLimitation, type Limitation } from '../reseller-shared.ts';

export type NovitaShot = { prompt: string; duration: number };

export type NovitaCreateBody = {
  prompt: string;
  negative_prompt?: string;
  sound: boolean;
  duration: number;
  cfg_scale?: number;
  aspect_ratio: AspectRatio;
  multi_prompt?: NovitaShot[];
};

const LIMITS: readonly Limitation[] = [
  { applies: (r) => r.tier === '4k', why: 'Novita has no 4k model path: only -pro-t2v (1080p) and -std-t2v (720p)' },
  {
    applies: (r, kind) => kind !== 'text2video' || r.firstFrame !== null || r.lastFrame !== null,
    why: "Novita's Kling v3 paths are text-to-video only: it takes no first or last frame image",
  },
  {
    applies: (r) => r.multiShot === 'intelligence',
    why: 'Novita has no shot type: its multi_prompt lists the shots, so intelligence shots cannot be asked for',
  },
  { applies: (r) => r.voiceIds.length > 0, why: 'Novita has no voice field' },
  { applies: (r) => r.elements.length > 0, why: 'Novita has no elements field' },
  { applies: (r) => r.cameraControl !== null, why: 'Novita has no camera_control field' },
  { applies: (r) => r.watermark, why: 'Novita has no watermark field' },
];

export function novitaUnsupported(request: VideoRequest, kind: TaskKind): string | null {
  return firstLimitation(LIMITS, request, kind);
}

/** `/v3/async/<model>-<pro|std>-t2v`; 4k never gets here (novitaUnsupported refuses it). */
export function novitaCreatePath(upstreamModel: string, request: VideoRequest): string {
  return `/v3/async/${encodeURIComponent(upstreamModel)}-${request.tier === 'pro' ? 'pro' : 'std'}-t2v`;
}

/**
 * The create body. `prompt` and `multi_prompt` are mutually exclusive (seed 003): with shots the
 * prompt goes out empty, as Kling ignores the prompt of a customized multi-shot request anyway
 * (spec §1.3). Novita documents no callback, so Reelay polls it.
 */
export function novitaCreateBody(submission: UpstreamSubmission): NovitaCreateBody {
  const { request } = submission;
  const shots = request.multiShot === 'customize' ? request.shots.map((s) => ({ prompt: s.prompt, duration: s.duration })) : [];
  return {
    prompt: shots.length > 0 ? '' : request.prompt,
    ...(request.negativePrompt !== '' ? { negative_prompt: request.negativePrompt } : {}),
    sound: request.sound,
    duration: request.duration,
    ...(request.cfgScale !== null ? { cfg_scale: request.cfgScale } : {}),
    aspect_ratio: request.aspectRatio,
    ...(shots.length > 0 ? { multi_prompt: shots } : {}),
  };
}
