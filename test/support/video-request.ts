import type { VideoRequest } from '../../src/domain/video-request.ts';

/** A valid default VideoRequest (std 16:9 5 s, no sound), with overrides. */
export function videoRequest(over: Partial<VideoRequest> = {}): VideoRequest {
  return {
    model: 'kling-v3',
    prompt: 'a cat',
    negativePrompt: '',
    multiShot: null,
    shots: [],
    duration: 5,
    tier: 'std',
    aspectRatio: '16:9',
    sound: false,
    voiceIds: [],
    cfgScale: null,
    cameraControl: null,
    watermark: false,
    callbackUrl: null,
    externalTaskId: null,
    firstFrame: null,
    lastFrame: null,
    elements: [],
    ...over,
  };
}
