/** The EvoLink channel's wire, without a network: the create body, what it cannot carry, the task answers. */
import { describe, expect, it } from 'vitest';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { evolinkCreateBody, evolinkUnsupported } from '../../src/providers/evolink/evolink-body.ts';
import { EVOLINK_DEFAULT_MODELS, EVOLINK_DIALECT } from '../../src/providers/evolink/evolink-provider.ts';
import type { UpstreamSubmission } from '../../src/providers/remote-provider.ts';
import { readAnswer } from '../../src/providers/reseller-shared.ts';
import type { UpstreamResponse } from '../../src/providers/upstream-http.ts';
import { videoRequest } from '../support/video-request.ts';

const SHOTS = [
  { index: 1, prompt: 'a door opens', duration: 1 },
  { index: 2, prompt: 'a dog runs in', duration: 2 },
];

function body(request: VideoRequest, callbackUrl: string | null = null) {
  const upstreamModel = EVOLINK_DEFAULT_MODELS[request.model as keyof typeof EVOLINK_DEFAULT_MODELS];
  const submission: UpstreamSubmission = { reelayId: 't_1', kind: 'text2video', request, upstreamModel, callbackUrl };
  return evolinkCreateBody(submission);
}

const response = (json: unknown): UpstreamResponse => ({ status: 200, headers: {}, json, text: JSON.stringify(json) });

const stateOf = (json: unknown) => EVOLINK_DIALECT.stateOf(readAnswer(response(json), EVOLINK_DIALECT.task, 'check', 'task'));

describe('the EvoLink create body', () => {
  it('writes a small request with EvoLink names and JSON types: duration a number, quality and sound words', () => {
    const b = body(videoRequest({ prompt: 'a red kite', duration: 3 }));
    expect(b).toEqual({ model: 'kling-v3-text-to-video', prompt: 'a red kite', duration: 3, aspect_ratio: '16:9', quality: '720p', sound: 'off' });
    expect(typeof b.duration).toBe('number');
  });

  it('maps tiers to quality, sound to on/off, and sends negative prompt, voices and Reelay\'s callback only when present', () => {
    expect(body(videoRequest({ tier: 'pro' })).quality).toBe('1080p');
    expect(body(videoRequest({ tier: '4k' })).quality).toBe('4k');
    const b = body(videoRequest({ sound: true, negativePrompt: 'blur', voiceIds: ['v1'], prompt: 'hi <<<voice_1>>>', callbackUrl: 'https://client.example/hook', cfgScale: 0.5 }), 'https://reelay.example/cb/t_1');
    expect(b).toMatchObject({ sound: 'on', negative_prompt: 'blur', generate_audio: true, voice_ids: ['v1'], callback_url: 'https://reelay.example/cb/t_1' });
    expect(b).not.toHaveProperty('cfg_scale');
  });

  it('puts multi-shot and watermark in model_params for the standard model', () => {
    expect(body(videoRequest({ prompt: '', multiShot: 'customize', shots: SHOTS, duration: 3, watermark: true })).model_params).toEqual({
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: SHOTS,
      watermark: true,
    });
    expect(body(videoRequest({ multiShot: 'intelligence' })).model_params).toEqual({ multi_shot: true, shot_type: 'intelligence' });
    expect(body(videoRequest({ prompt: '', multiShot: 'customize', shots: SHOTS, duration: 3 }))).not.toHaveProperty('prompt');
  });

  it('writes the turbo model\'s shots as 镜头 syntax after the prompt, and keeps a single shot single', () => {
    const b = body(videoRequest({ model: 'kling-v3-turbo', prompt: 'cinematic', multiShot: 'customize', shots: SHOTS, duration: 3 }));
    expect(b).toEqual(expect.objectContaining({ model: 'kling-v3-turbo-text-to-video', prompt: 'cinematic 镜头 1, 1, a door opens; 镜头 2, 2, a dog runs in;' }));
    expect(b).not.toHaveProperty('model_params');
    expect(body(videoRequest({ model: 'kling-v3-turbo', prompt: '镜头 1, 5, a cat;' })).model_params).toEqual({ multi_shot: false });
    expect(body(videoRequest({ model: 'kling-v3-turbo', prompt: '镜头缓慢推进' }))).not.toHaveProperty('model_params');
  });

});

describe('what the EvoLink channel cannot carry', () => {
  it.each([
    ['an image-to-video request', videoRequest({ firstFrame: 'https://x.example/a.png' }), 'image2video', /text-to-video only/],
    ['elements', videoRequest({ elements: [{ kind: 'saved', elementId: '1' }] }), 'text2video', /elements/],
    ['camera control', videoRequest({ cameraControl: { type: 'down_back' } }), 'text2video', /camera_control/],
    ['intelligence shots on turbo', videoRequest({ model: 'kling-v3-turbo', multiShot: 'intelligence' }), 'text2video', /intelligence/],
    [
      'turbo shots whose words hold the syntax',
      videoRequest({ model: 'kling-v3-turbo', multiShot: 'customize', duration: 3, shots: [{ index: 1, prompt: 'a; 镜头 2, 1, b', duration: 3 }] }),
      'text2video',
      /镜头/,
    ],
  ] as const)('refuses %s', (_what, request, kind, why) => {
    expect(evolinkUnsupported(request, kind)).toMatch(why);
  });

  it('carries voices, 4k and watermark on the standard model', () => {
    expect(evolinkUnsupported(videoRequest({ sound: true, voiceIds: ['v1'], tier: '4k', watermark: true }), 'text2video')).toBeNull();
  });
});

describe('the EvoLink answers', () => {
  it('reads the create answer\'s id', () => {
    const created = readAnswer(response({ id: 'task-unified-1757169743-7cvnl5zw', status: 'pending', progress: 0 }), EVOLINK_DIALECT.created, 'submit', 'create');
    expect(EVOLINK_DIALECT.upstreamIdOf(created)).toBe('task-unified-1757169743-7cvnl5zw');
  });

  it('maps pending, processing, completed, failed and cancelled', () => {
    expect(stateOf({ status: 'pending', progress: 0 })).toEqual({ state: 'pending', phase: 'queued', progress: 0 });
    expect(stateOf({ status: 'processing', progress: 65 })).toEqual({ state: 'pending', phase: 'running', progress: 65 });
    expect(stateOf({ status: 'completed', progress: 100, results: ['https://cdn.example.com/v.mp4'] })).toEqual({
      state: 'succeeded',
      videos: [{ url: 'https://cdn.example.com/v.mp4', watermarkUrl: null, durationSeconds: null }],
      unitsCharged: null,
    });
    expect(stateOf({ status: 'failed', error: { code: 'content_policy_violation', message: 'Content policy violation.' } })).toEqual({ state: 'failed', message: 'Content policy violation.' });
    expect(stateOf({ status: 'cancelled', error: { code: 'request_cancelled', message: 'the task was cancelled' } })).toEqual({ state: 'canceled', message: 'the task was cancelled' });
  });
});
