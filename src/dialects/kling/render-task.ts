/**
 * A task in the official Kling legacy words (spec §1.5): statuses, ms timestamps, string durations,
 * and `final_unit_deduction` (a string) for the credits charged once the task is completed.
 */
import type { Task, TaskStatus } from '../../domain/task.ts';
import { endedMessage } from '../shared/task-message.ts';
import { klingUnitsDeducted } from '../shared/usage.ts';

export type KlingVideo = { id: string; url: string; duration: string; watermark_url?: string };

export type KlingTaskData = {
  task_id: string;
  task_status: 'submitted' | 'processing' | 'succeed' | 'failed';
  task_status_msg: string;
  task_info: { external_task_id?: string };
  task_result?: { videos: KlingVideo[] };
  watermark_info: { enabled: boolean };
  final_unit_deduction?: string;
  created_at: number;
  updated_at: number;
  /**
   * Reelay's documented extension: fields Kling has no place for (progress 0-100). Clients that
   * do not know it ignore it, as they ignore any unknown field.
   */
  reelay: { progress: number };
};

/** Kling has no cancel; a canceled task reads as failed with a message saying so. */
const STATUS_WORDS: Record<TaskStatus, KlingTaskData['task_status']> = {
  queued: 'submitted',
  running: 'processing',
  completed: 'succeed',
  failed: 'failed',
  canceled: 'failed',
};

/** `mediaUrl` turns a storage key into a signed link. */
export function renderKlingTask(task: Task, mediaUrl: (key: string) => string): KlingTaskData {
  const data: KlingTaskData = {
    task_id: task.publicId,
    task_status: STATUS_WORDS[task.status],
    task_status_msg: endedMessage(task),
    task_info: task.request.externalTaskId === null ? {} : { external_task_id: task.request.externalTaskId },
    watermark_info: { enabled: task.request.watermark },
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    reelay: { progress: task.progress },
  };
  if (task.status === 'completed' && task.result) {
    data.task_result = {
      videos: task.result.videos.map((v) => ({
        id: v.id,
        url: mediaUrl(v.key),
        duration: String(v.duration),
        ...(task.request.watermark ? { watermark_url: v.watermarkKey ? mediaUrl(v.watermarkKey) : '' } : {}),
      })),
    };
    // Kling reports the deduction with the result (spec §7 note 9): the credits charged for it.
    data.final_unit_deduction = klingUnitsDeducted(task);
  }
  return data;
}
