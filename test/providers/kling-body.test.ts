import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TASK_KINDS, type TaskKind } from '../../src/domain/task.ts';
import { ASPECT_RATIOS, TIERS, checkVideoRequest, type Shot, type VideoRequest } from '../../src/domain/video-request.ts';
import { klingCreateBody, klingUnsupported } from '../../src/providers/kling/kling-body.ts';
import type { UpstreamSubmission } from '../../src/providers/remote-provider.ts';
import { OFFICIAL_MULTI_SHOT } from '../support/kling-examples.ts';
import { videoRequest } from '../support/video-request.ts';

const REELAY_ID = '01JREELAYTASK000000000000A';

function submission(request: VideoRequest, over: Partial<UpstreamSubmission> = {}): UpstreamSubmission {
  return { reelayId: REELAY_ID, kind: 'text2video', request, upstreamModel: 'kling-v3', callbackUrl: null, ...over };
}

describe('the Kling legacy create body', () => {
  it('writes the official multi-shot example (§1.3) with string durations', () => {
    const shots: Shot[] = OFFICIAL_MULTI_SHOT.multi_prompt.map((s) => ({ index: s.index, prompt: s.prompt, duration: Number(s.duration) }));
    const request = videoRequest({ prompt: '', multiShot: 'customize', shots, duration: 15, tier: 'pro', sound: true, aspectRatio: '9:16' });
    const body = klingCreateBody(submission(request));
    // The example's empty prompt, callback_url and external_task_id are Kling's defaults: not sent.
    const { prompt: _prompt, callback_url: _callback, external_task_id: _external, ...rest } = OFFICIAL_MULTI_SHOT;
    expect(body).toEqual({ ...rest, external_task_id: REELAY_ID });
    expect(body.duration).toBe('15');
    expect(body.multi_prompt?.map((s) => s.duration)).toEqual(['2', '3', '3', '3', '3', '1']);
    expect(body.multi_prompt?.map((s) => typeof s.index)).toEqual(Array(6).fill('number'));
  });

  it('sends intelligence multi-shot with the prompt and without multi_prompt', () => {
    const body = klingCreateBody(submission(videoRequest({ multiShot: 'intelligence', prompt: 'a chase in three cuts', duration: 10 })));
    expect(body).toMatchObject({ multi_shot: true, shot_type: 'intelligence', prompt: 'a chase in three cuts', duration: '10' });
    expect(body).not.toHaveProperty('multi_prompt');
  });

  it('writes a simple single shot like the real request log (§1.3)', () => {
    const prompt = 'A calm woman looks at the camera and slowly smiles, natural motion, clean lighting.';
    const body = klingCreateBody(submission(videoRequest({ prompt })));
    expect(body).toEqual({
      model_name: 'kling-v3',
      prompt,
      duration: '5',
      mode: 'std',
      aspect_ratio: '16:9',
      sound: 'off',
      external_task_id: REELAY_ID,
    });
  });

  it('uses the channel model name, not the Reelay one', () => {
    const body = klingCreateBody(submission(videoRequest(), { upstreamModel: 'kling-v3-custom' }));
    expect(body.model_name).toBe('kling-v3-custom');
    expect(body).not.toHaveProperty('model');
  });

  it('sends image and image_tail for image2video, as given', () => {
    const first = 'https://example.com/first.png';
    const last = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const body = klingCreateBody(submission(videoRequest({ prompt: '', firstFrame: first, lastFrame: last }), { kind: 'image2video' }));
    expect(body.image).toBe(first);
    expect(body.image_tail).toBe(last);
    expect(body).not.toHaveProperty('prompt');
  });

  it('sends a first frame alone without image_tail', () => {
    const body = klingCreateBody(submission(videoRequest({ firstFrame: 'https://example.com/a.png' }), { kind: 'image2video' }));
    expect(body.image).toBe('https://example.com/a.png');
    expect(body).not.toHaveProperty('image_tail');
  });

  it('sends voices as voice_list in order, with sound on', () => {
    const request = videoRequest({ prompt: '<<<voice_1>>> greets <<<voice_2>>>', sound: true, voiceIds: ['v-alice', 'v-bob'] });
    const body = klingCreateBody(submission(request));
    expect(body.voice_list).toEqual([{ voice_id: 'v-alice' }, { voice_id: 'v-bob' }]);
    expect(body.sound).toBe('on');
  });

  it('asks for a watermarked copy only when the request wants one', () => {
    expect(klingCreateBody(submission(videoRequest({ watermark: true }))).watermark_info).toEqual({ enabled: true });
    expect(klingCreateBody(submission(videoRequest()))).not.toHaveProperty('watermark_info');
  });

  it("sends Reelay's callback and Reelay's task id, never the client's own", () => {
    const request = videoRequest({ callbackUrl: 'https://client.example/hook', externalTaskId: 'client-42' });
    const body = klingCreateBody(submission(request, { callbackUrl: 'https://reelay.example/callbacks/kling/abc' }));
    expect(body.callback_url).toBe('https://reelay.example/callbacks/kling/abc');
    expect(body.external_task_id).toBe(REELAY_ID);
    expect(klingCreateBody(submission(request))).not.toHaveProperty('callback_url');
  });

  it('sends negative_prompt, cfg_scale and camera_control only when set', () => {
    const bare = klingCreateBody(submission(videoRequest()));
    for (const key of ['negative_prompt', 'cfg_scale', 'camera_control', 'voice_list', 'element_list', 'multi_shot']) expect(bare).not.toHaveProperty(key);
    const body = klingCreateBody(
      submission(videoRequest({ negativePrompt: 'blur', cfgScale: 0, cameraControl: { type: 'simple', config: { zoom: 5, pan: undefined } } })),
    );
    expect(body).toMatchObject({ negative_prompt: 'blur', cfg_scale: 0, camera_control: { type: 'simple', config: { zoom: 5 } } });
    expect(body.camera_control?.config).not.toHaveProperty('pan');
    expect(klingCreateBody(submission(videoRequest({ cameraControl: { type: 'down_back' } }))).camera_control).toEqual({ type: 'down_back' });
  });

  it('sends saved elements by id: numbers while exact, longer ids as strings', () => {
    const request = videoRequest({
      elements: [
        { kind: 'saved', elementId: '123456789' },
        { kind: 'saved', elementId: '867283741759111202' },
      ],
    });
    const body = klingCreateBody(submission(request, { kind: 'image2video' }));
    expect(body.element_list).toEqual([{ element_id: 123456789 }, { element_id: '867283741759111202' }]);
  });
});

describe('what the legacy API cannot carry', () => {
  const subject = { kind: 'subject' as const, name: 'hero', description: 'a knight', imageUrls: ['https://e.x/1.png', 'https://e.x/2.png'] };

  it('refuses subjects made on the fly, naming why', () => {
    expect(klingUnsupported(videoRequest({ prompt: '@hero rides', elements: [subject] }), 'image2video')).toMatch(/subject/);
  });

  it('refuses elements on text2video, where the legacy API has no element_list', () => {
    expect(klingUnsupported(videoRequest({ elements: [{ kind: 'saved', elementId: '42' }] }), 'text2video')).toMatch(/element_list/);
  });

  it('takes everything else, 4k and multi-shot included', () => {
    expect(klingUnsupported(videoRequest({ tier: '4k' }), 'text2video')).toBeNull();
    expect(klingUnsupported(videoRequest({ elements: [{ kind: 'saved', elementId: '42' }], firstFrame: 'https://e.x/a.png' }), 'image2video')).toBeNull();
  });
});

/** Shots of `duration` seconds: n shots of at least 1 s each, the rest spread at random. */
function shotsOf(duration: number): fc.Arbitrary<Shot[]> {
  return fc.integer({ min: 1, max: Math.min(6, duration) }).chain((n) =>
    fc
      .tuple(fc.array(fc.nat(n - 1), { minLength: duration - n, maxLength: duration - n }), fc.array(fc.string({ minLength: 1, maxLength: 40 }), { minLength: n, maxLength: n }))
      .map(([extra, prompts]) => {
        const seconds = Array<number>(n).fill(1);
        for (const i of extra) seconds[i] = (seconds[i] ?? 1) + 1;
        return prompts.map((p, i) => ({ index: i + 1, prompt: `shot ${p}`, duration: seconds[i] ?? 1 }));
      }),
  );
}

const frame = fc.option(fc.constantFrom('https://example.com/a.png', 'iVBORw0KGgoAAAANSUhEUg=='), { nil: null });

const anyRequest: fc.Arbitrary<{ request: VideoRequest; kind: TaskKind }> = fc
  .record({
    kind: fc.constantFrom(...TASK_KINDS),
    duration: fc.integer({ min: 3, max: 15 }),
    multi: fc.constantFrom(null, 'customize', 'intelligence'),
    tier: fc.constantFrom(...TIERS),
    aspectRatio: fc.constantFrom(...ASPECT_RATIOS),
    sound: fc.boolean(),
    voices: fc.array(fc.string({ minLength: 1, maxLength: 10 }), { maxLength: 2 }),
    cfgScale: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
    watermark: fc.boolean(),
    callbackUrl: fc.option(fc.constant('https://client.example/hook'), { nil: null }),
    externalTaskId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: null }),
    firstFrame: frame,
    lastFrame: frame,
    elementIds: fc.array(fc.stringMatching(/^\d{1,20}$/), { maxLength: 3 }),
    prompt: fc.string({ maxLength: 60 }),
    negativePrompt: fc.string({ maxLength: 20 }),
  })
  .chain((r) =>
    (r.multi === 'customize' ? shotsOf(r.duration) : fc.constant<Shot[]>([])).map((shots) => {
      const request = videoRequest({
        prompt: r.multi === 'customize' ? '' : `p ${r.prompt}`,
        negativePrompt: r.negativePrompt,
        multiShot: r.multi,
        shots,
        duration: r.duration,
        tier: r.tier,
        aspectRatio: r.aspectRatio,
        sound: r.sound || r.voices.length > 0,
        voiceIds: r.elementIds.length > 0 ? [] : r.voices,
        cfgScale: r.cfgScale,
        watermark: r.watermark,
        callbackUrl: r.callbackUrl,
        externalTaskId: r.externalTaskId,
        firstFrame: r.kind === 'image2video' ? r.firstFrame ?? 'https://example.com/first.png' : null,
        lastFrame: r.kind === 'image2video' && r.multi === null ? r.lastFrame : null,
        elements: r.kind === 'image2video' ? r.elementIds.map((elementId) => ({ kind: 'saved' as const, elementId })) : [],
      });
      return { request, kind: r.kind };
    }),
  )
  .filter(({ request, kind }) => checkVideoRequest(request, { kind }) === null);

function undefinedPaths(value: unknown, path = 'body'): string[] {
  if (value === undefined) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => undefinedPaths(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => undefinedPaths(v, `${path}.${k}`));
  return [];
}

describe('the body of any valid request', () => {
  it('has a string duration, a known mode, Reelay’s id as external_task_id and no undefined value', () => {
    fc.assert(
      fc.property(anyRequest, fc.option(fc.constant('https://reelay.example/cb'), { nil: null }), ({ request, kind }, callbackUrl) => {
        const body = klingCreateBody(submission(request, { kind, callbackUrl }));
        expect(body.duration).toBe(String(request.duration));
        expect(body.duration).toMatch(/^\d+$/);
        expect(TIERS).toContain(body.mode);
        expect(body.external_task_id).toBe(REELAY_ID);
        expect(undefinedPaths(body)).toEqual([]);
        // It survives JSON unchanged: nothing dropped, nothing NaN.
        expect(JSON.parse(JSON.stringify(body))).toEqual(body);
        if (body.multi_prompt) {
          expect(body.multi_prompt.every((s) => typeof s.duration === 'string')).toBe(true);
          expect(body.multi_prompt.reduce((sum, s) => sum + Number(s.duration), 0)).toBe(request.duration);
        }
      }),
      { numRuns: 300 },
    );
  });
});
