/** A task record as the wire shows it: its videos with fresh signed URLs, its query data, its callback. */
import type { FaultDice } from './sim-faults.ts';
import type { ResultLinks } from './sim-result-links.ts';
import type { TaskRecord } from './sim-task-book.ts';
import { callbackPayload, taskData, type SimCallbackPayload, type SimTaskData, type SimVideo } from './sim-wire.ts';

export const VIDEO_FILE = '0.mp4';
export const WATERMARK_FILE = '0-watermark.mp4';

export type TaskView = {
  data(record: TaskRecord): SimTaskData;
  callback(record: TaskRecord): SimCallbackPayload;
};

export function createTaskView(deps: { links: ResultLinks; dice: FaultDice }): TaskView {
  function videos(record: TaskRecord): SimVideo[] | null {
    const { task, files } = record;
    if (task.status !== 'succeed' || !files || task.finishedAt === null) return null;
    const ttl = deps.dice.urlTtlSeconds();
    const url = (file: string) => deps.links.url(task.taskId, file, task.finishedAt ?? 0, ttl);
    const video: SimVideo = { id: record.videoId, url: url(VIDEO_FILE), duration: record.request.duration.toFixed(1) };
    if (record.request.watermark) video.watermark_url = files.watermarkPath ? url(WATERMARK_FILE) : '';
    return [video];
  }

  return {
    data: (record) => taskData(record.task, record.request.watermark, videos(record)),
    callback: (record) => callbackPayload(record.task, videos(record)),
  };
}
