import { describe, expect, it } from 'vitest';
import type { Task } from '../../src/domain/task.ts';
import { renderNovitaTask } from '../../src/dialects/novita/render-task.ts';
import { novitaError } from '../../src/dialects/novita/envelope.ts';
import { AppError } from '../../src/domain/errors.ts';
import { reelayUsage } from '../../src/dialects/shared/usage.ts';
import { HELD, RELEASED } from '../support/task-billing.ts';
import { testTask } from '../support/task.ts';
import { videoRequest } from '../support/video-request.ts';

const created = 1_800_000_000_000;
const task = (over: Partial<Task> = {}): Task =>
  testTask({
    id: 'internal',
    publicId: '830d9c90-d53f-4c5a-8009-0123456789ab',
    dialect: 'novita',
    request: videoRequest({ prompt: 'a cat', duration: 5, tier: 'pro', aspectRatio: '16:9', sound: true }),
    createdAt: created,
    updatedAt: created,
    ...over,
  });
const options = { mediaUrl: (key: string) => `https://reelay.test/media/${key}?exp=1&sig=x`, mediaTtlSeconds: 3600, now: created + 10_000 };

describe('Novita task result', () => {
  it('renders a succeeded task like the spec example, field by field', () => {
    const body = renderNovitaTask(
      task({ status: 'completed', progress: 100, startedAt: created + 1000, finishedAt: created + 5000, result: { videos: [{ id: 'v1', key: 'tasks/internal/video-1.mp4', duration: 5 }] } }),
      options,
    );
    expect(body).toEqual({
      extra: { seed: '', debug_info: { request_info: '', submit_time_ms: String(created), execute_time_ms: String(created + 1000), complete_time_ms: String(created + 5000) } },
      task: { task_id: '830d9c90-d53f-4c5a-8009-0123456789ab', task_type: 'kling-v3.0-pro-t2v', status: 'TASK_STATUS_SUCCEED', reason: '', eta: 0, progress_percent: 100 },
      videos: [{ video_url: 'https://reelay.test/media/tasks/internal/video-1.mp4?exp=1&sig=x', video_url_ttl: '3600', video_type: 'mp4' }],
      images: [],
      audios: [],
    });
    expect(typeof body.videos[0]?.video_url_ttl).toBe('string');
  });

  it('says TASK_STATUS_QUEUED with no videos before the task runs', () => {
    const body = renderNovitaTask(task(), options);
    expect(body.task).toMatchObject({ status: 'TASK_STATUS_QUEUED', reason: '', eta: 0, progress_percent: 0 });
    expect(body.videos).toEqual([]);
    expect(body.extra.debug_info.execute_time_ms).toBe('');
  });

  it('estimates eta in whole seconds from the progress of a running task', () => {
    const body = renderNovitaTask(task({ status: 'running', progress: 25, startedAt: created }), options);
    expect(body.task).toMatchObject({ status: 'TASK_STATUS_PROCESSING', progress_percent: 25, eta: 30 });
    expect(Number.isInteger(body.task.eta)).toBe(true);
  });

  it('gives the failure reason, and says canceled for a canceled task', () => {
    const failed = renderNovitaTask(task({ status: 'failed', failure: { code: 'render_failed', message: 'ffmpeg exited 1' }, finishedAt: created }), options);
    expect(failed.task).toMatchObject({ status: 'TASK_STATUS_FAILED', reason: 'ffmpeg exited 1' });
    expect(failed.videos).toEqual([]);
    const canceled = renderNovitaTask(task({ status: 'canceled' }), options);
    expect(canceled.task).toMatchObject({ status: 'TASK_STATUS_CANCELED', reason: 'the task was canceled' });
  });

  it('adds reelay_usage, Reelay\'s extension, at the top level of a billed task', () => {
    // The figures themselves are tested in usage.test.ts; here, that the body carries them.
    expect(renderNovitaTask(task({ billing: HELD }), options).reelay_usage).toEqual(reelayUsage(HELD));
    const failed = renderNovitaTask(task({ status: 'failed', billing: RELEASED, failure: { code: 'render_failed', message: 'x' } }), options);
    expect(failed.reelay_usage).toMatchObject({ credits_charged: 0, credits_refunded: 4.5, billed_seconds: null });
  });

  it('names the std path in task_type for a std task', () => {
    expect(renderNovitaTask(task({ request: { ...task().request, tier: 'std' } }), options).task.task_type).toBe('kling-v3.0-std-t2v');
  });

  it('renders errors as {code, reason, message, metadata} with the HTTP status as code', () => {
    expect(novitaError(new AppError('invalid_parameter', 'duration must be an integer between 3 and 15'))).toEqual({
      status: 400,
      body: { code: 400, reason: 'INVALID_REQUEST_BODY', message: 'duration must be an integer between 3 and 15', metadata: {} },
    });
    expect(novitaError(new AppError('auth_invalid', 'x')).body).toMatchObject({ code: 401, reason: 'UNAUTHORIZED' });
    expect(novitaError(new AppError('task_not_found', 'x')).body).toMatchObject({ code: 404, reason: 'NOT_FOUND' });
    expect(novitaError(new AppError('internal_error', 'x')).body).toMatchObject({ code: 500, reason: 'INTERNAL_ERROR' });
  });
});
