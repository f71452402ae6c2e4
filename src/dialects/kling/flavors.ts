/**
 * The two faces of the legacy Kling dialect: the official API (18-digit ids) and the new-api
 * `/kling/v1` passthrough of seed 001 (`task_` + 32 ids, echoed as a top-level `task_id`, as the
 * MAX-API fork does: spec §3.2).
 */
import { klingTaskId, newApiTaskId } from '../../domain/ids.ts';
import type { Task } from '../../domain/task.ts';
import { klingSuccess, type KlingEnvelope } from './envelope.ts';
import { renderKlingTask, type KlingTaskData } from './render-task.ts';

export type KlingFlavor = 'kling' | 'newapi';

export function mintKlingTaskId(flavor: KlingFlavor): string {
  return flavor === 'newapi' ? newApiTaskId() : klingTaskId();
}

/** One task in the flavor's envelope. */
export function renderKlingEnvelope(flavor: KlingFlavor, task: Task, requestId: string, mediaUrl: (key: string) => string): KlingEnvelope<KlingTaskData> {
  const body = klingSuccess(renderKlingTask(task, mediaUrl), requestId);
  return flavor === 'newapi' ? { ...body, task_id: task.publicId } : body;
}
