/**
 * Moves each task submitted -> processing -> succeed | failed on a timer: one unref'd timer per
 * pending transition, so thousands of tasks cost thousands of idle timers and nothing else. The
 * video render starts when the task enters processing, so it is ready when the task succeeds;
 * a task whose render is slower than processingMs waits for it.
 */
import type { FaultDice } from './sim-faults.ts';
import type { RenderCache } from './sim-render-cache.ts';
import type { TaskRecord } from './sim-task-book.ts';
import type { SimTaskStatus } from './sim-types.ts';

export const SIMULATED_FAILURE = 'Content security policy triggered (simulated)';

export type Lifecycle = {
  /** Announces the new `submitted` task and schedules the rest of its life. */
  start(record: TaskRecord): void;
  /** Stops every pending transition. */
  close(): void;
};

export function createLifecycle(deps: {
  schedule: { submittedMs: number; processingMs: number };
  dice: FaultDice;
  renders: RenderCache;
  /** Called after every status change, `submitted` included. */
  onChange: (record: TaskRecord) => void;
  /** Called once, when the task reaches succeed or failed. */
  onEnd: (record: TaskRecord) => void;
}): Lifecycle {
  const pending = new Set<TaskRecord>();
  let closed = false;

  function later(record: TaskRecord, ms: number, step: () => void): void {
    if (closed) return;
    pending.add(record);
    record.timer = setTimeout(() => {
      record.timer = null;
      pending.delete(record);
      step();
    }, ms);
    // A test tool must never be what keeps a process alive.
    record.timer.unref();
  }

  function move(record: TaskRecord, status: SimTaskStatus, message = ''): void {
    const now = Date.now();
    record.task.status = status;
    record.task.statusMsg = message;
    record.task.updatedAt = now;
    if (status === 'succeed' || status === 'failed') {
      record.task.finishedAt = now;
      deps.onEnd(record);
    }
    deps.onChange(record);
  }

  function toProcessing(record: TaskRecord): void {
    move(record, 'processing');
    if (deps.dice.failTask()) {
      later(record, deps.schedule.processingMs, () => move(record, 'failed', SIMULATED_FAILURE));
      return;
    }
    const render = deps.renders.get(record.request);
    // Handled in finish; this keeps a failure before then from counting as unhandled.
    render.catch(() => undefined);
    later(record, deps.schedule.processingMs, () => {
      render.then(
        (files) => {
          if (closed) return;
          record.files = files;
          move(record, 'succeed');
        },
        (e: unknown) => {
          if (!closed) move(record, 'failed', `render failed: ${e instanceof Error ? e.message : String(e)}`);
        },
      );
    });
  }

  return {
    start(record) {
      deps.onChange(record);
      later(record, deps.schedule.submittedMs, () => toProcessing(record));
    },
    close() {
      closed = true;
      for (const record of pending) if (record.timer) clearTimeout(record.timer);
      pending.clear();
    },
  };
}
