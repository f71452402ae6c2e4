/**
 * A simulated task in the official legacy words: the query `data` (spec §1.5), the callback
 * payload (§1.7) and the units it costs (§1.12).
 */
import type { VideoRequest } from '../../src/domain/video-request.ts';
import type { SimTask } from './sim-types.ts';

/** Units per second, in tenths so the product stays exact: std 0.6 / 0.9 with sound, pro 0.8 / 1.2, 4k 3.0. */
const TENTHS_PER_SECOND = {
  std: { silent: 6, sound: 9 },
  pro: { silent: 8, sound: 12 },
  '4k': { silent: 30, sound: 30 },
} as const;

/** "3", "4.5": seconds × rate, without trailing zeros. */
export function unitsFor(request: Pick<VideoRequest, 'tier' | 'sound' | 'duration'>): string {
  const rate = TENTHS_PER_SECOND[request.tier][request.sound ? 'sound' : 'silent'];
  return String((request.duration * rate) / 10);
}

export type SimVideo = { id: string; url: string; watermark_url?: string; duration: string };

export type SimTaskData = {
  task_id: string;
  task_status: SimTask['status'];
  task_status_msg: string;
  task_info: { external_task_id?: string };
  task_result?: { videos: SimVideo[] };
  watermark_info: { enabled: boolean };
  final_unit_deduction?: string;
  created_at: number;
  updated_at: number;
};

/**
 * `videos` is given only for a succeeded task. Units are deducted at the end: the full price on
 * succeed, "0" on failure (Kling does not charge failed tasks), nothing before.
 */
export function taskData(task: SimTask, watermark: boolean, videos: SimVideo[] | null): SimTaskData {
  const data: SimTaskData = {
    task_id: task.taskId,
    task_status: task.status,
    task_status_msg: task.statusMsg,
    task_info: task.externalTaskId === null ? {} : { external_task_id: task.externalTaskId },
    watermark_info: { enabled: watermark },
    created_at: task.createdAt,
    updated_at: task.updatedAt,
  };
  if (task.status === 'succeed' && videos) data.task_result = { videos };
  if (task.status === 'succeed') data.final_unit_deduction = task.units;
  if (task.status === 'failed') data.final_unit_deduction = '0';
  return data;
}

export type SimCallbackPayload = {
  task_id: string;
  task_status: SimTask['status'];
  task_status_msg: string;
  created_at: number;
  updated_at: number;
  final_unit_deduction?: string;
  task_info: { external_task_id?: string };
  task_result?: { videos: SimVideo[] };
};

/** The legacy callback body: no envelope, the task's fields at the top (spec §1.7). */
export function callbackPayload(task: SimTask, videos: SimVideo[] | null): SimCallbackPayload {
  const { watermark_info: _, ...rest } = taskData(task, false, videos);
  return rest;
}
