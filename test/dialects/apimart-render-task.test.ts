import { describe, expect, it } from 'vitest';
import { apimartError } from '../../src/dialects/apimart/envelope.ts';
import { parseApimartCreate } from '../../src/dialects/apimart/parse-create.ts';
import { renderApimartCreated, renderApimartTask } from '../../src/dialects/apimart/render-task.ts';
import { AppError } from '../../src/domain/errors.ts';
import type { Task } from '../../src/domain/task.ts';
import { reelayUsage } from '../../src/dialects/shared/usage.ts';
import { HELD, SETTLED_SHORT } from '../support/task-billing.ts';
import { testTask } from '../support/task.ts';

const CREATED_MS = 1_763_088_289_500;
const NOW_MS = 1_763_088_400_000;
const links = { url: (key: string) => `https://reelay.test/media/${key}?exp=1&sig=s`, ttlSeconds: 86_400 };

function task(overrides: Partial<Task> = {}, body: object = {}): Task {
  const { request, kind } = parseApimartCreate({ model: 'kling-v3', prompt: 'a dog on the beach', duration: 5, ...body }, { models: ['kling-v3'] });
  return testTask({
    id: 'internal',
    publicId: 'task_01KA040M0HP1GJWBJYZMKX1XS1',
    keyId: 'k',
    dialect: 'apimart',
    kind,
    request,
    createdAt: CREATED_MS,
    updatedAt: CREATED_MS,
    ...overrides,
  });
}

const video = { id: 'v1', key: 'tasks/x/video-1.mp4', watermarkKey: 'tasks/x/video-1-watermark.mp4', duration: 5 };

describe('APIMart bodies', () => {
  it('answers a create as spec §5.1: code 200 and data as an array', () => {
    expect(renderApimartCreated(task())).toEqual({ code: 200, data: [{ status: 'submitted', task_id: 'task_01KA040M0HP1GJWBJYZMKX1XS1' }] });
  });

  it('reads pending and processing on query, with unix-second created and an estimate', () => {
    expect(renderApimartTask(task(), links, NOW_MS)).toEqual({
      code: 200,
      data: { id: 'task_01KA040M0HP1GJWBJYZMKX1XS1', status: 'pending', progress: 0, created: 1763088289, estimated_time: 10 },
    });
    expect(renderApimartTask(task({ status: 'running', progress: 42 }), links, NOW_MS).data).toMatchObject({ status: 'processing', progress: 42 });
  });

  it('answers a completed task field by field as spec §5.2', () => {
    const done = task({ status: 'completed', progress: 100, finishedAt: 1_763_088_308_900, result: { videos: [video] } });
    expect(renderApimartTask(done, links, NOW_MS)).toEqual({
      code: 200,
      data: {
        id: 'task_01KA040M0HP1GJWBJYZMKX1XS1',
        status: 'completed',
        progress: 100,
        result: { videos: [{ url: [links.url('tasks/x/video-1.mp4')], expires_at: 1763088400 + 86_400 }] },
        created: 1763088289,
        completed: 1763088308,
        estimated_time: 10,
        actual_time: 19,
      },
    });
  });

  it('adds reelay_usage, Reelay\'s extension, inside data of a billed task, and leaves the create answer as documented', () => {
    // The figures themselves are tested in usage.test.ts; here, that the body carries them.
    expect(renderApimartTask(task({ billing: HELD }), links, NOW_MS).data.reelay_usage).toEqual(reelayUsage(HELD));
    const done = task({ status: 'completed', progress: 100, finishedAt: CREATED_MS, result: { videos: [video] }, billing: SETTLED_SHORT });
    expect(renderApimartTask(done, links, NOW_MS).data.reelay_usage).toMatchObject({ credits_charged: 3.6, credits_refunded: 0.9, billed_seconds: 4 });
    expect(renderApimartCreated(done)).toEqual({ code: 200, data: [{ status: 'submitted', task_id: 'task_01KA040M0HP1GJWBJYZMKX1XS1' }] });
  });

  it('hands the watermarked copy to a client that asked for a watermark', () => {
    const done = task({ status: 'completed', progress: 100, finishedAt: CREATED_MS, result: { videos: [video] } }, { watermark: true });
    expect(renderApimartTask(done, links, NOW_MS).data.result?.videos[0]?.url).toEqual([links.url('tasks/x/video-1-watermark.mp4')]);
  });

  it('carries an error object only when failed, and says cancelled for a canceled task', () => {
    const failed = renderApimartTask(task({ status: 'failed', failure: { code: 'render_failed', message: 'preview render failed' } }), links, NOW_MS);
    expect(failed.data).toMatchObject({ status: 'failed', error: { message: 'preview render failed', code: 'render_failed' } });
    expect(failed.data.result).toBeUndefined();
    expect(failed.data.completed).toBeUndefined();
    const canceled = renderApimartTask(task({ status: 'canceled' }), links, NOW_MS);
    expect(canceled.data.status).toBe('cancelled');
    expect(canceled.data.error).toBeUndefined();
  });

  it('answers errors as {code, error{message, type, param}}', () => {
    expect(apimartError(new AppError('invalid_parameter', 'duration must be a plain JSON number such as 5, not a quoted string', { field: 'duration' }))).toEqual({
      status: 400,
      body: { code: 400, error: { message: 'duration must be a plain JSON number such as 5, not a quoted string', type: 'invalid_request_error', param: 'duration' } },
    });
    expect(apimartError(new AppError('auth_missing', 'Authorization is empty')).body).toEqual({ code: 401, error: { message: 'Authorization is empty', type: 'authentication_error' } });
  });
});
