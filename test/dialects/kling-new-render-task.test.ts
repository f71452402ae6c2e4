import { describe, expect, it } from 'vitest';
import type { Task } from '../../src/domain/task.ts';
import { renderKlingNewCreated, renderKlingNewTask } from '../../src/dialects/kling-new/render-task.ts';
import { HELD, RELEASED, SETTLED_SHORT } from '../support/task-billing.ts';
import { testTask } from '../support/task.ts';
import { videoRequest } from '../support/video-request.ts';

const link = (key: string) => `https://reelay.example/media/${key}?exp=1&sig=s`;

const base: Task = testTask({
  id: 'internal-1',
  publicId: '893605946402811985',
  dialect: 'kling-new',
  request: videoRequest({ model: 'kling-v3', prompt: 'a kite', duration: 5, tier: 'std', externalTaskId: 'kite-1' }),
  createdAt: 1781080778802,
  updatedAt: 1781080794151,
});

describe('the new-design task object (spec §1.11)', () => {
  it('renders the create answer exactly as documented', () => {
    expect(renderKlingNewCreated(base)).toEqual({
      id: '893605946402811985',
      status: 'submitted',
      create_time: 1781080778802,
      update_time: 1781080794151,
      external_id: 'kite-1',
    });
    expect(renderKlingNewCreated({ ...base, request: { ...base.request, externalTaskId: null } }).external_id).toBe('');
  });

  it('renders a succeeded task from before billing field by field: outputs with a string duration, the upstream units as a string amount', () => {
    const done: Task = {
      ...base,
      status: 'completed',
      progress: 100,
      request: { ...base.request, watermark: true },
      result: { videos: [{ id: 'video-1', key: 'tasks/t/video-1.mp4', watermarkKey: 'tasks/t/video-1-watermark.mp4', duration: 5.042 }] },
      unitsCharged: 3,
    };
    expect(renderKlingNewTask(done, link)).toEqual({
      id: '893605946402811985',
      status: 'succeeded',
      message: '',
      create_time: 1781080778802,
      update_time: 1781080794151,
      external_id: 'kite-1',
      outputs: [
        {
          type: 'video',
          id: 'video-1',
          url: link('tasks/t/video-1.mp4'),
          watermark_url: link('tasks/t/video-1-watermark.mp4'),
          duration: '5.042',
        },
      ],
      billing: [{ charge_type: 'unit', package_type: 'video', amount: '3' }],
      reelay: { progress: 100 },
    });
    const plain = renderKlingNewTask({ ...done, request: base.request, unitsCharged: null }, link);
    expect(plain.outputs[0]?.watermark_url).toBe('');
    expect(plain.billing).toEqual([{ charge_type: 'unit', package_type: 'video', amount: '0' }]);
  });

  it('bills the credits charged as the unit amount, a string, once the video exists', () => {
    const result = { videos: [{ id: 'video-1', key: 'tasks/t/video-1.mp4', duration: 4 }] };
    const done = renderKlingNewTask({ ...base, status: 'completed', progress: 100, result, billing: SETTLED_SHORT, unitsCharged: 4.5 }, link);
    expect(done.billing).toEqual([{ charge_type: 'unit', package_type: 'video', amount: '3.6' }]);
    expect(renderKlingNewTask({ ...base, status: 'running', billing: HELD }, link).billing).toEqual([]);
    expect(renderKlingNewTask({ ...base, status: 'failed', billing: RELEASED }, link).billing).toEqual([]);
  });

  it('uses the new status words and keeps outputs and billing empty until the video exists', () => {
    const words = (['queued', 'running', 'completed', 'failed', 'canceled'] as const).map((status) => renderKlingNewTask({ ...base, status }, link).status);
    expect(words).toEqual(['submitted', 'processing', 'succeeded', 'failed', 'failed']);
    const running = renderKlingNewTask({ ...base, status: 'running', progress: 40 }, link);
    expect(running).toMatchObject({ outputs: [], billing: [], message: '', reelay: { progress: 40 } });
  });

  it('carries the failure reason in message', () => {
    const failed = renderKlingNewTask({ ...base, status: 'failed', failure: { code: 'render_failed', message: 'ffmpeg exited 1' } }, link);
    expect(failed).toMatchObject({ status: 'failed', message: 'ffmpeg exited 1', outputs: [], billing: [] });
    expect(renderKlingNewTask({ ...base, status: 'canceled' }, link).message).toBe('the task was canceled');
  });
});
