/** The APIMart channel's wire, without a network: the create body, what it cannot carry, the task answers. */
import { describe, expect, it } from 'vitest';
import type { TaskKind } from '../../src/domain/task.ts';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { apimartCreateBody, apimartUnsupported } from '../../src/providers/apimart/apimart-body.ts';
import { APIMART_DIALECT } from '../../src/providers/apimart/apimart-provider.ts';
import { readAnswer } from '../../src/providers/reseller-shared.ts';
import type { UpstreamResponse } from '../../src/providers/upstream-http.ts';
import { videoRequest } from '../support/video-request.ts';

const FIRST = 'https://images.example.com/first.png';
const LAST = 'https://images.example.com/last.png';
const HERO = { kind: 'subject' as const, name: 'hero', description: 'a tall knight', imageUrls: [FIRST, LAST] };

const body = (request: VideoRequest, kind: TaskKind = 'text2video') =>
  apimartCreateBody({ reelayId: 't_1', kind, request, upstreamModel: 'kling-v3', callbackUrl: 'https://reelay.example/cb/t_1' });

const response = (json: unknown): UpstreamResponse => ({ status: 200, headers: {}, json, text: JSON.stringify(json) });
const stateOf = (data: unknown) => APIMART_DIALECT.stateOf(readAnswer(response({ code: 200, data }), APIMART_DIALECT.task, 'check', 'task'));

describe('the APIMart create body', () => {
  it('writes a small request with APIMart names and JSON types: mode the tier, duration a number, audio a boolean', () => {
    const b = body(videoRequest({ prompt: 'a red kite', duration: 3, cfgScale: 0.5 }));
    expect(b).toEqual({ model: 'kling-v3', prompt: 'a red kite', mode: 'std', duration: 3, aspect_ratio: '16:9', audio: false });
    expect(typeof b.duration).toBe('number');
  });

  it('sends tier, negative prompt, sound and watermark as APIMart names them; no callback, which APIMart lacks', () => {
    const b = body(videoRequest({ tier: '4k', negativePrompt: 'blur', sound: true, watermark: true, aspectRatio: '9:16' }));
    expect(b).toMatchObject({ mode: '4k', negative_prompt: 'blur', audio: true, watermark: true, aspect_ratio: '9:16' });
    expect(b).not.toHaveProperty('callback_url');
  });

  it('writes customized shots as multi_shot, shot_type and multi_prompt with number durations', () => {
    const shots = [
      { index: 1, prompt: 'a door opens', duration: 1 },
      { index: 2, prompt: 'a dog runs in', duration: 2 },
    ];
    expect(body(videoRequest({ prompt: '', multiShot: 'customize', shots, duration: 3 }))).toEqual(
      expect.objectContaining({ multi_shot: true, shot_type: 'customize', multi_prompt: shots }),
    );
    const intelligence = body(videoRequest({ multiShot: 'intelligence' }));
    expect(intelligence).toMatchObject({ multi_shot: true, shot_type: 'intelligence' });
    expect(intelligence).not.toHaveProperty('multi_prompt');
  });

  it('sends frames in image_urls (first, then last) and subjects as elements', () => {
    expect(body(videoRequest({ firstFrame: FIRST }), 'image2video').image_urls).toEqual([FIRST]);
    expect(body(videoRequest({ firstFrame: FIRST, lastFrame: LAST }), 'image2video').image_urls).toEqual([FIRST, LAST]);
    expect(body(videoRequest({ prompt: '@hero walks', elements: [HERO] })).elements).toEqual([
      { name: 'hero', description: 'a tall knight', element_input_urls: [FIRST, LAST] },
    ]);
  });
});

describe('what the APIMart channel cannot carry', () => {
  it.each([
    ['voices', videoRequest({ sound: true, voiceIds: ['v1'] }), 'text2video', /voice/],
    ['camera control', videoRequest({ cameraControl: { type: 'down_back' } }), 'text2video', /camera_control/],
    ['saved elements', videoRequest({ elements: [{ kind: 'saved', elementId: '42' }] }), 'text2video', /saved element/],
    ['base64 element images', videoRequest({ elements: [{ ...HERO, imageUrls: [FIRST, 'iVBORw0KGgo='] }] }), 'text2video', /element images/],
    ['a base64 frame', videoRequest({ firstFrame: 'iVBORw0KGgo=' }), 'image2video', /not base64/],
    ['a last frame alone', videoRequest({ lastFrame: LAST }), 'image2video', /last frame without a first/],
  ] as const)('refuses %s', (_what, request, kind, why) => {
    expect(apimartUnsupported(request, kind)).toMatch(why);
  });

  it('carries 4k, watermark, frames by URL and subjects', () => {
    expect(apimartUnsupported(videoRequest({ tier: '4k', watermark: true, firstFrame: FIRST, lastFrame: LAST, elements: [HERO], prompt: '@hero' }), 'image2video')).toBeNull();
  });
});

describe('the APIMart answers', () => {
  it("reads the task id from the create answer's data array", () => {
    const created = readAnswer(response({ code: 200, data: [{ status: 'submitted', task_id: 'task_01K8SGYNNNVBQTXNR4MM964S7K' }] }), APIMART_DIALECT.created, 'submit', 'create');
    expect(APIMART_DIALECT.upstreamIdOf(created)).toBe('task_01K8SGYNNNVBQTXNR4MM964S7K');
  });

  it('maps submitted, pending, processing, failed and cancelled', () => {
    expect(stateOf({ status: 'submitted' })).toEqual({ state: 'pending', phase: 'queued', progress: null });
    expect(stateOf({ status: 'pending', progress: 0 })).toEqual({ state: 'pending', phase: 'queued', progress: 0 });
    expect(stateOf({ status: 'processing', progress: 40 })).toEqual({ state: 'pending', phase: 'running', progress: 40 });
    expect(stateOf({ status: 'failed', error: { message: 'content policy' } })).toEqual({ state: 'failed', message: 'content policy' });
    expect(stateOf({ status: 'failed' })).toEqual({ state: 'failed', message: 'the upstream task failed' });
    expect(stateOf({ status: 'cancelled' })).toMatchObject({ state: 'canceled' });
  });

  it('reads a completed video whose url is a string or an array of strings', () => {
    const url = 'https://upload.apimart.ai/f/video/a.mp4';
    for (const video of [{ url }, { url: [url], expires_at: 1763174708 }]) {
      expect(stateOf({ status: 'completed', progress: 100, result: { videos: [video] } })).toEqual({
        state: 'succeeded',
        videos: [{ url, watermarkUrl: null, durationSeconds: null }],
        unitsCharged: null,
      });
    }
  });
});
