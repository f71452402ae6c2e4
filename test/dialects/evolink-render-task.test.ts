import { describe, expect, it } from 'vitest';
import { evolinkError } from '../../src/dialects/evolink/envelope.ts';
import { parseEvolinkCreate } from '../../src/dialects/evolink/parse-create.ts';
import { evolinkFailureCode, renderEvolinkCreated, renderEvolinkTask } from '../../src/dialects/evolink/render-task.ts';
import { AppError } from '../../src/domain/errors.ts';
import type { Task } from '../../src/domain/task.ts';
import { HELD, RELEASED } from '../support/task-billing.ts';
import { testTask } from '../support/task.ts';

const CREATED_MS = 1_757_169_743_456;
const link = (key: string) => `https://reelay.test/media/${key}?exp=1&sig=s`;

function task(overrides: Partial<Task> = {}, body: object = {}): Task {
  const request = parseEvolinkCreate({ model: 'kling-v3-text-to-video', prompt: 'A cat running', duration: 5, ...body }, { models: ['kling-v3', 'kling-v3-turbo'] });
  return testTask({
    id: 'internal',
    publicId: 'task-unified-1757169743-7cvnl5zw',
    keyId: 'k',
    dialect: 'evolink',
    request,
    provider: 'kling',
    createdAt: CREATED_MS,
    updatedAt: CREATED_MS,
    ...overrides,
  });
}

const completed = (body: object = {}) =>
  task({ status: 'completed', progress: 100, result: { videos: [{ id: 'v1', key: 'tasks/x/video-1.mp4', watermarkKey: 'tasks/x/video-1-watermark.mp4', duration: 5 }] } }, body);

describe('EvoLink task object', () => {
  it('answers a create field by field as spec §2.1, reserving the hold in credits', () => {
    const body = renderEvolinkCreated(task({ billing: HELD }, { sound: 'on' }));
    expect(body).toEqual({
      created: 1757169743,
      id: 'task-unified-1757169743-7cvnl5zw',
      model: 'kling-v3-text-to-video',
      object: 'video.generation.task',
      progress: 0,
      status: 'pending',
      task_info: { can_cancel: true, estimated_time: 300, video_duration: 5 },
      type: 'video',
      usage: { billing_rule: 'per_second', credits_reserved: 4.5, user_group: 'default' },
    });
    expect(typeof body.usage?.credits_reserved).toBe('number');
  });

  it('reserves 0 on the create answer of a task made before billing existed', () => {
    expect(renderEvolinkCreated(task()).usage).toEqual({ billing_rule: 'per_second', credits_reserved: 0, user_group: 'default' });
  });

  it('carries usage on a query of a held task, whatever its status, and none for a task from before billing', () => {
    expect(renderEvolinkTask(task({ status: 'running', billing: HELD }), link).usage).toEqual({ billing_rule: 'per_second', credits_reserved: 4.5, user_group: 'default' });
    expect(renderEvolinkTask(task({ status: 'failed', billing: RELEASED }), link).usage?.credits_reserved).toBe(4.5);
    expect(Object.hasOwn(renderEvolinkTask(task({ status: 'running' }), link), 'usage')).toBe(false);
  });

  it('names the turbo model as the client did', () => {
    const turbo = task({}, { model: 'kling-v3-turbo-text-to-video' });
    expect(renderEvolinkCreated(turbo).model).toBe('kling-v3-turbo-text-to-video');
    expect(renderEvolinkTask(turbo, link).model).toBe('kling-v3-turbo-text-to-video');
  });

  it('answers a processing query of a task from before billing as the spec example: no results, no error, no usage', () => {
    expect(renderEvolinkTask(task({ status: 'running', progress: 65.4 }), link)).toEqual({
      created: 1757169743,
      id: 'task-unified-1757169743-7cvnl5zw',
      model: 'kling-v3-text-to-video',
      object: 'video.generation.task',
      progress: 65,
      status: 'processing',
      task_info: { can_cancel: true },
      type: 'video',
    });
  });

  it('can be cancelled only while active and not asked already; a cancelled task says so', () => {
    expect(renderEvolinkTask(task({ status: 'running', cancelRequestedAt: CREATED_MS }), link).task_info).toEqual({ can_cancel: false });
    expect(renderEvolinkTask(task({ status: 'canceled' }), link)).toMatchObject({
      status: 'cancelled',
      task_info: { can_cancel: false },
      error: { code: 'request_cancelled' },
    });
  });

  it('lists signed result URLs only when completed', () => {
    const body = renderEvolinkTask(completed(), link);
    expect(body).toMatchObject({ status: 'completed', progress: 100, results: [link('tasks/x/video-1.mp4')], task_info: { can_cancel: false } });
    expect(body.error).toBeUndefined();
    expect(renderEvolinkTask(completed({ model_params: { watermark: true } }), link).results).toEqual([link('tasks/x/video-1-watermark.mp4')]);
  });

  it('reports a failure with an EvoLink string code and the message', () => {
    const body = renderEvolinkTask(task({ status: 'failed', failure: { code: 'render_failed', message: 'preview render failed: boom' } }), link);
    expect(body).toMatchObject({ status: 'failed', error: { code: 'generation_failed_no_content', message: 'preview render failed: boom' } });
    expect(body.results).toBeUndefined();
    expect(typeof body.error?.code).toBe('string');
  });

  it('maps Reelay failure codes onto EvoLink task error codes', () => {
    expect(evolinkFailureCode('storage_failed')).toBe('service_error');
    expect(evolinkFailureCode('worker_lost')).toBe('service_error');
    expect(evolinkFailureCode('provider_unavailable')).toBe('service_unavailable');
    expect(evolinkFailureCode('something_new')).toBe('unknown_error');
    expect(evolinkFailureCode('toString')).toBe('unknown_error');
  });

  it('says cancelled for a canceled task', () => {
    expect(renderEvolinkTask(task({ status: 'canceled' }), link)).toMatchObject({ status: 'cancelled', error: { code: 'request_cancelled' } });
  });
});

describe('EvoLink HTTP error body', () => {
  it('carries the HTTP status as code, the type for that status and the param', () => {
    const e = evolinkError(new AppError('invalid_parameter', 'duration must be an integer between 3 and 15', { field: 'duration' }));
    expect(e).toEqual({ status: 400, body: { error: { code: 400, message: 'duration must be an integer between 3 and 15', type: 'invalid_request_error', param: 'duration' } } });
    expect(evolinkError(new AppError('auth_invalid', 'Authorization is invalid')).body.error).toEqual({ code: 401, message: 'Authorization is invalid', type: 'authentication_error' });
    expect(evolinkError(new AppError('internal_error', 'internal error')).body.error.type).toBe('internal_server_error');
    expect(evolinkError(new AppError('forbidden', 'no')).body.error.type).toBe('permission_error');
  });

  it('answers a missing task in EvoLink words (spec §2.3)', () => {
    expect(evolinkError(new AppError('task_not_found', 'task x does not exist'))).toEqual({
      status: 404,
      body: { error: { code: 404, message: 'Task not found or expired', type: 'not_found_error', param: 'task_id' } },
    });
  });
});
