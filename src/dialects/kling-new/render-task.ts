/**
 * A task as the Kling new-design task object (spec §1.7, §1.11): status `succeeded` (not the
 * legacy `succeed`), ms `create_time`/`update_time`, `outputs[]` and `billing[]` (the credits
 * charged, as a unit amount string).
 */
import type { Task, TaskStatus } from '../../domain/task.ts';
import { endedMessage } from '../shared/task-message.ts';
import { klingUnitsDeducted } from '../shared/usage.ts';

export type KlingNewStatus = 'submitted' | 'processing' | 'succeeded' | 'failed';

export type KlingNewOutput = { type: 'video'; id: string; url: string; watermark_url: string; duration: string };

export type KlingNewBilling = { charge_type: 'unit'; package_type: 'video'; amount: string };

export type KlingNewCreated = { id: string; status: KlingNewStatus; create_time: number; update_time: number; external_id: string };

export type KlingNewTask = KlingNewCreated & {
  message: string;
  outputs: KlingNewOutput[];
  billing: KlingNewBilling[];
  /** Reelay's documented extension, as in the legacy dialect: progress 0-100. */
  reelay: { progress: number };
};

/** The new design has no cancel; a canceled task reads as failed with a message saying so. */
export const KLING_NEW_STATUS_WORDS: Record<TaskStatus, KlingNewStatus> = {
  queued: 'submitted',
  running: 'processing',
  completed: 'succeeded',
  failed: 'failed',
  canceled: 'failed',
};

/** The create answer: the documented subset of the task object. */
export function renderKlingNewCreated(task: Task): KlingNewCreated {
  return {
    id: task.publicId,
    status: KLING_NEW_STATUS_WORDS[task.status],
    create_time: task.createdAt,
    update_time: task.updatedAt,
    // Kling answers strings, never null, in this object; a task without a client id reads "" [I].
    external_id: task.request.externalTaskId ?? '',
  };
}

/**
 * `mediaUrl` turns a storage key into a signed Reelay link. Legacy-created official tasks are
 * rendered here too when read through `/tasks`, the new design's only query route.
 */
export function renderKlingNewTask(task: Task, mediaUrl: (key: string) => string): KlingNewTask {
  const done = task.status === 'completed' && task.result !== null;
  return {
    ...renderKlingNewCreated(task),
    message: endedMessage(task),
    outputs: done
      ? (task.result?.videos ?? []).map((v) => ({
          type: 'video' as const,
          id: v.id,
          url: mediaUrl(v.key),
          // Always a string, as in the documented object: "" when no watermarked copy exists [I].
          watermark_url: task.request.watermark && v.watermarkKey ? mediaUrl(v.watermarkKey) : '',
          duration: String(v.duration),
        }))
      : [],
    // Charged once the video exists, as Kling does: the credits the task's settlement captured.
    billing: done ? [{ charge_type: 'unit', package_type: 'video', amount: klingUnitsDeducted(task) }] : [],
    reelay: { progress: task.progress },
  };
}
