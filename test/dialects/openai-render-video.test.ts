import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import type { Task } from '../../src/domain/task.ts';
import { openAiError } from '../../src/dialects/openai/envelope.ts';
import { renderOpenAiDeleted, renderOpenAiVideo, renderOpenAiVideoList } from '../../src/dialects/openai/render-video.ts';
import { reelayUsage } from '../../src/dialects/shared/usage.ts';
import { HELD, SETTLED_SHORT } from '../support/task-billing.ts';
import { testTask } from '../support/task.ts';
import { videoRequest } from '../support/video-request.ts';

const created = 1_800_000_000_123;
const task = (over: Partial<Task> = {}): Task =>
  testTask({
    id: 'internal',
    publicId: 'video_0123456789abcdef0123456789abcdef',
    dialect: 'openai',
    request: videoRequest({ model: 'kling-v3', prompt: 'a cat', duration: 8, tier: 'pro', aspectRatio: '9:16', sound: true }),
    createdAt: created,
    updatedAt: created,
    ...over,
  });
const options = { mediaTtlSeconds: 3600, now: created + 60_000 };

describe('OpenAI video object', () => {
  it('renders a queued video with every field of OpenAI video object, typed like OpenAI', () => {
    expect(renderOpenAiVideo(task(), options)).toEqual({
      id: 'video_0123456789abcdef0123456789abcdef',
      object: 'video',
      model: 'kling-v3',
      status: 'queued',
      progress: 0,
      created_at: 1_800_000_000,
      completed_at: null,
      expires_at: null,
      seconds: '8',
      size: '1080x1920',
      remixed_from_video_id: null,
      error: null,
    });
  });

  it('renders in_progress, completed (with completion and expiry times) and failed', () => {
    expect(renderOpenAiVideo(task({ status: 'running', progress: 40 }), options)).toMatchObject({ status: 'in_progress', progress: 40 });
    const done = renderOpenAiVideo(task({ status: 'completed', progress: 100, finishedAt: created + 30_000, result: { videos: [{ id: 'v', key: 'k.mp4', duration: 8 }] } }), options);
    expect(done).toMatchObject({ status: 'completed', progress: 100, completed_at: 1_800_000_030, expires_at: 1_800_000_060 + 3600, error: null });
    const failed = renderOpenAiVideo(task({ status: 'failed', progress: 10, finishedAt: created, failure: { code: 'render_failed', message: 'ffmpeg exited 1' } }), options);
    expect(failed).toMatchObject({ status: 'failed', completed_at: 1_800_000_000, expires_at: null, error: { code: 'render_failed', message: 'ffmpeg exited 1' } });
  });

  it('reads a canceled task as failed with a canceled error, since OpenAI has no such status', () => {
    expect(renderOpenAiVideo(task({ status: 'canceled', finishedAt: created }), options)).toMatchObject({ status: 'failed', error: { code: 'canceled' } });
  });

  it('adds reelay_usage, Reelay\'s extension, to a billed video: the hold, then the settlement', () => {
    // The figures themselves are tested in usage.test.ts; here, that the body carries them.
    expect(renderOpenAiVideo(task({ billing: HELD }), options).reelay_usage).toEqual(reelayUsage(HELD));
    const done = renderOpenAiVideo(task({ status: 'completed', progress: 100, finishedAt: created, billing: SETTLED_SHORT, result: { videos: [{ id: 'v', key: 'k.mp4', duration: 4 }] } }), options);
    expect(done.reelay_usage).toMatchObject({ credits_charged: 3.6, credits_refunded: 0.9, billed_seconds: 4 });
    expect(Object.keys(done)).toEqual([...Object.keys(renderOpenAiVideo(task(), options)), 'reelay_usage']);
  });

  it('renders a list page with first_id, last_id and has_more, and an empty one with nulls', () => {
    const a = task({ publicId: 'video_a' });
    const b = task({ publicId: 'video_b' });
    expect(renderOpenAiVideoList([a, b], true, options)).toMatchObject({ object: 'list', first_id: 'video_a', last_id: 'video_b', has_more: true });
    expect(renderOpenAiVideoList([], false, options)).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('renders a deletion', () => {
    expect(renderOpenAiDeleted('video_a')).toEqual({ id: 'video_a', object: 'video.deleted', deleted: true });
  });

  it('renders errors in OpenAI envelope with param and OpenAI statuses', () => {
    expect(openAiError(new AppError('invalid_parameter', 'seconds must be an integer between 3 and 15', { field: 'seconds' }))).toEqual({
      status: 400,
      body: { error: { message: 'seconds must be an integer between 3 and 15', type: 'invalid_request_error', param: 'seconds', code: 'invalid_value' } },
    });
    expect(openAiError(new AppError('auth_invalid', 'x'))).toMatchObject({ status: 401, body: { error: { code: 'invalid_api_key', param: null } } });
    expect(openAiError(new AppError('task_not_found', 'x'))).toMatchObject({ status: 404, body: { error: { type: 'invalid_request_error' } } });
    expect(openAiError(new AppError('internal_error', 'x'))).toMatchObject({ status: 500, body: { error: { type: 'server_error' } } });
  });
});
