import { describe, expect, it } from 'vitest';
import { renderKlingTask } from '../../src/dialects/kling/render-task.ts';
import type { Task } from '../../src/domain/task.ts';
import { HELD, RELEASED, SETTLED_SHORT } from '../support/task-billing.ts';
import { testTask } from '../support/task.ts';
import { videoRequest } from '../support/video-request.ts';

const link = (key: string) => `https://reelay.test/media/${key}?exp=1&sig=s`;
const video = { id: 'v1', key: 'tasks/x/video-1.mp4', duration: 4 };
const task = (over: Partial<Task> = {}): Task =>
  testTask({ publicId: '867283741759111202', request: videoRequest({ duration: 5, sound: true }), billing: HELD, ...over });
const completed = (over: Partial<Task> = {}) => task({ status: 'completed', progress: 100, result: { videos: [video] }, billing: SETTLED_SHORT, ...over });

describe('Kling legacy final_unit_deduction', () => {
  it('is the credits charged, as a string, once the task is completed', () => {
    const data = renderKlingTask(completed(), link);
    expect(data.final_unit_deduction).toBe('3.6');
    expect(typeof data.final_unit_deduction).toBe('string');
  });

  it('is the charge, not the units the upstream reported charging Reelay', () => {
    expect(renderKlingTask(completed({ unitsCharged: 4.5 }), link).final_unit_deduction).toBe('3.6');
  });

  it('is absent until the task is completed, and for a failed task (nothing is charged)', () => {
    for (const t of [task(), task({ status: 'running', progress: 50 }), task({ status: 'failed', billing: RELEASED, failure: { code: 'render_failed', message: 'x' } })]) {
      expect(Object.hasOwn(renderKlingTask(t, link), 'final_unit_deduction')).toBe(false);
    }
  });

  it('keeps the upstream units (or "0") for a task made before billing existed', () => {
    expect(renderKlingTask(completed({ billing: null, unitsCharged: 3 }), link).final_unit_deduction).toBe('3');
    expect(renderKlingTask(completed({ billing: null }), link).final_unit_deduction).toBe('0');
  });

  it('leaves the rest of a completed body as it was', () => {
    expect(renderKlingTask(completed(), link)).toEqual({
      task_id: '867283741759111202',
      task_status: 'succeed',
      task_status_msg: '',
      task_info: {},
      task_result: { videos: [{ id: 'v1', url: link('tasks/x/video-1.mp4'), duration: '4' }] },
      watermark_info: { enabled: false },
      final_unit_deduction: '3.6',
      created_at: 1_800_000_000_000,
      updated_at: 1_800_000_000_000,
      reelay: { progress: 100 },
    });
  });
});
