/** The Novita channel's wire, without a network: the model path, the create body, what it cannot carry, the task answers. */
import { describe, expect, it } from 'vitest';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { novitaCreateBody, novitaCreatePath, novitaUnsupported } from '../../src/providers/novita/novita-body.ts';
import { NOVITA_DIALECT } from '../../src/providers/novita/novita-provider.ts';
import { readAnswer } from '../../src/providers/reseller-shared.ts';
import type { UpstreamResponse } from '../../src/providers/upstream-http.ts';
import { videoRequest } from '../support/video-request.ts';

const body = (request: VideoRequest) => novitaCreateBody({ reelayId: 't_1', kind: 'text2video', request, upstreamModel: 'kling-v3.0', callbackUrl: 'https://reelay.example/cb/t_1' });

const response = (json: unknown): UpstreamResponse => ({ status: 200, headers: {}, json, text: JSON.stringify(json) });
const stateOf = (json: unknown) => NOVITA_DIALECT.stateOf(readAnswer(response(json), NOVITA_DIALECT.task, 'check', 'task'));
const task = (status: string, more: object = {}) => ({ task: { task_id: 'id', task_type: 'kling-v3.0-std-t2v', status, reason: '', eta: 0, progress_percent: 0, ...more }, videos: [] });

describe('the Novita create', () => {
  it('puts the model and the tier in the path', () => {
    expect(novitaCreatePath('kling-v3.0', videoRequest({ tier: 'std' }))).toBe('/v3/async/kling-v3.0-std-t2v');
    expect(novitaCreatePath('kling-v3.0', videoRequest({ tier: 'pro' }))).toBe('/v3/async/kling-v3.0-pro-t2v');
  });

  it('writes a small request with JSON types: sound a boolean, duration a number; cfg_scale when given', () => {
    const b = body(videoRequest({ prompt: 'a red kite', duration: 3 }));
    expect(b).toEqual({ prompt: 'a red kite', sound: false, duration: 3, aspect_ratio: '16:9' });
    expect(typeof b.duration).toBe('number');
    expect(body(videoRequest({ cfgScale: 0.5, sound: true, negativePrompt: 'blur' }))).toMatchObject({ cfg_scale: 0.5, sound: true, negative_prompt: 'blur' });
    expect(body(videoRequest())).not.toHaveProperty('callback_url');
  });

  it('sends shots as multi_prompt with an empty prompt, the two being mutually exclusive', () => {
    const shots = [
      { index: 1, prompt: 'a door opens', duration: 1 },
      { index: 2, prompt: 'a dog runs in', duration: 2 },
    ];
    expect(body(videoRequest({ prompt: 'ignored by Kling with shots', multiShot: 'customize', shots, duration: 3 }))).toEqual({
      prompt: '',
      sound: false,
      duration: 3,
      aspect_ratio: '16:9',
      multi_prompt: [
        { prompt: 'a door opens', duration: 1 },
        { prompt: 'a dog runs in', duration: 2 },
      ],
    });
  });
});

describe('what the Novita channel cannot carry', () => {
  it.each([
    ['4k', videoRequest({ tier: '4k' }), 'text2video', /4k/],
    ['image-to-video', videoRequest({ firstFrame: 'https://x.example/a.png' }), 'image2video', /text-to-video only/],
    ['intelligence shots', videoRequest({ multiShot: 'intelligence' }), 'text2video', /intelligence/],
    ['voices', videoRequest({ sound: true, voiceIds: ['v1'] }), 'text2video', /voice/],
    ['elements', videoRequest({ elements: [{ kind: 'saved', elementId: '1' }] }), 'text2video', /elements/],
    ['camera control', videoRequest({ cameraControl: { type: 'down_back' } }), 'text2video', /camera_control/],
    ['a watermark', videoRequest({ watermark: true }), 'text2video', /watermark/],
  ] as const)('refuses %s', (_what, request, kind, why) => {
    expect(novitaUnsupported(request, kind)).toMatch(why);
  });

  it('carries pro, sound, cfg scale and customized shots', () => {
    const shots = [{ index: 1, prompt: 'a', duration: 5 }];
    expect(novitaUnsupported(videoRequest({ tier: 'pro', sound: true, cfgScale: 0.3, multiShot: 'customize', shots }), 'text2video')).toBeNull();
  });
});

describe('the Novita answers', () => {
  it('reads the create answer {task_id}', () => {
    const created = readAnswer(response({ task_id: '830d9c90-d53f-4c5a-8009-123456789abc' }), NOVITA_DIALECT.created, 'submit', 'create');
    expect(NOVITA_DIALECT.upstreamIdOf(created)).toBe('830d9c90-d53f-4c5a-8009-123456789abc');
  });

  it('asks for the task by query string', () => {
    expect(NOVITA_DIALECT.taskPath('a b&c')).toBe('/v3/async/task-result?task_id=a+b%26c');
  });

  it('maps TASK_STATUS_* with progress_percent and reason', () => {
    expect(stateOf(task('TASK_STATUS_QUEUED'))).toEqual({ state: 'pending', phase: 'queued', progress: 0 });
    expect(stateOf(task('TASK_STATUS_PROCESSING', { progress_percent: 55 }))).toEqual({ state: 'pending', phase: 'running', progress: 55 });
    expect(stateOf(task('TASK_STATUS_FAILED', { reason: 'render failed' }))).toEqual({ state: 'failed', message: 'render failed' });
    expect(stateOf(task('TASK_STATUS_CANCELED'))).toEqual({ state: 'canceled', message: 'the upstream task was cancelled' });
    const done = { ...task('TASK_STATUS_SUCCEED', { progress_percent: 100 }), videos: [{ video_url: 'https://cdn.example.com/v.mp4', video_url_ttl: '3600', video_type: 'mp4' }] };
    expect(stateOf(done)).toEqual({ state: 'succeeded', videos: [{ url: 'https://cdn.example.com/v.mp4', watermarkUrl: null, durationSeconds: null }], unitsCharged: null });
  });
});
