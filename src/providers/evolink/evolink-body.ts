/**
 * A VideoRequest as EvoLink's create body (spec §2.1), written the way Reelay's own EvoLink
 * dialect reads it, and the requests that body cannot carry. The standard model takes multi-shot
 * and watermark in `model_params`; the turbo model (seed 002) documents only the prompt's shot
 * syntax `镜头 n, m, words;`, so its shots are written there.
 */
import { formatShotSyntax, parseShotSyntax, promptOutsideShots } from '../../domain/shot-syntax.ts';
import type { TaskKind } from '../../domain/task.ts';
import { TURBO_MODEL, type AspectRatio, type Shot, type ShotType, type Tier, type VideoRequest } from '../../domain/video-request.ts';
import type { UpstreamSubmission } from '../remote-provider.ts';
import { firstLimitation, type Limitation } from '../reseller-shared.ts';

export type EvolinkShot = { index: number; prompt: string; duration: number };

export type EvolinkModelParams = { multi_shot?: boolean; shot_type?: ShotType; multi_prompt?: EvolinkShot[]; watermark?: boolean };

export type EvolinkCreateBody = {
  model: string;
  prompt?: string;
  negative_prompt?: string;
  duration: number;
  aspect_ratio: AspectRatio;
  quality: '720p' | '1080p' | '4k';
  sound: 'on' | 'off';
  /** Seed 000's name for audio; sent with `voice_ids`, which it requires there. */
  generate_audio?: boolean;
  voice_ids?: string[];
  model_params?: EvolinkModelParams;
  callback_url?: string;
};

const QUALITIES = { std: '720p', pro: '1080p', '4k': '4k' } as const satisfies Record<Tier, EvolinkCreateBody['quality']>;

/** The turbo model reads shots from the prompt, the standard one from model_params. */
function writesShotSyntax(request: VideoRequest): boolean {
  return request.model === TURBO_MODEL;
}

/**
 * Whether the shots read back unchanged from the prompt they are written into: a shot prompt
 * that itself holds `; 镜头 2,` (or ends in `;`), or a prompt before the shots that holds the
 * syntax, would come back as other shots.
 */
function shotsSurviveSyntax(request: VideoRequest): boolean {
  const prompt = formatShotSyntax(request.shots, request.prompt);
  const read = parseShotSyntax(prompt);
  if (read.kind !== 'shots' || read.shots.length !== request.shots.length) return false;
  if (promptOutsideShots(prompt) !== request.prompt.trim()) return false;
  return read.shots.every((s, i) => {
    const sent = request.shots[i] as Shot;
    return s.index === sent.index && s.duration === sent.duration && s.prompt === sent.prompt.trim();
  });
}

const LIMITS: readonly Limitation[] = [
  {
    applies: (r, kind) => kind !== 'text2video' || r.firstFrame !== null || r.lastFrame !== null,
    why: "EvoLink's Kling v3 models are text-to-video only: it takes no first or last frame image",
  },
  { applies: (r) => r.elements.length > 0, why: 'EvoLink has no elements field' },
  { applies: (r) => r.cameraControl !== null, why: 'EvoLink has no camera_control field' },
  {
    applies: (r) => writesShotSyntax(r) && r.multiShot === 'intelligence',
    why: "EvoLink's turbo model takes multi-shot only as shot syntax in the prompt, which cannot ask for intelligence shots",
  },
  {
    applies: (r) => writesShotSyntax(r) && r.multiShot === 'customize' && !shotsSurviveSyntax(r),
    why: "EvoLink's turbo model takes shots as 镜头 n, m, words; in the prompt, and these prompts contain that syntax themselves",
  },
];

export function evolinkUnsupported(request: VideoRequest, kind: TaskKind): string | null {
  return firstLimitation(LIMITS, request, kind);
}

/**
 * The create body. cfg_scale is left out: Kling applies it only to v1.x models (spec §1.3), so
 * dropping it changes nothing about a v3 video. The client's own callback URL is Reelay's to
 * call; EvoLink gets Reelay's (`submission.callbackUrl`).
 */
export function evolinkCreateBody(submission: UpstreamSubmission): EvolinkCreateBody {
  const { request, upstreamModel, callbackUrl } = submission;
  const shots = shotFields(request);
  const params: EvolinkModelParams = { ...shots.params, ...(request.watermark ? { watermark: true } : {}) };
  return {
    model: upstreamModel,
    ...(shots.prompt !== '' ? { prompt: shots.prompt } : {}),
    ...(request.negativePrompt !== '' ? { negative_prompt: request.negativePrompt } : {}),
    duration: request.duration,
    aspect_ratio: request.aspectRatio,
    quality: QUALITIES[request.tier],
    sound: request.sound ? 'on' : 'off',
    ...(request.voiceIds.length > 0 ? { generate_audio: true, voice_ids: [...request.voiceIds] } : {}),
    ...(Object.keys(params).length > 0 ? { model_params: params } : {}),
    ...(callbackUrl !== null ? { callback_url: callbackUrl } : {}),
  };
}

function shotFields(request: VideoRequest): { prompt: string; params: EvolinkModelParams } {
  const { prompt, multiShot, shots } = request;
  if (writesShotSyntax(request)) {
    if (multiShot === 'customize') return { prompt: formatShotSyntax(shots, prompt), params: {} };
    // One shot whose prompt happens to read as shot syntax: multi_shot false keeps it one shot.
    return { prompt, params: parseShotSyntax(prompt).kind === 'none' ? {} : { multi_shot: false } };
  }
  if (multiShot === null) return { prompt, params: {} };
  if (multiShot === 'intelligence') return { prompt, params: { multi_shot: true, shot_type: 'intelligence' } };
  const items = shots.map((s) => ({ index: s.index, prompt: s.prompt, duration: s.duration }));
  return { prompt, params: { multi_shot: true, shot_type: 'customize', multi_prompt: items } };
}
