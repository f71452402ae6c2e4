/**
 * Novita's answers (spec §4.1 create, §4.2 Get Task Result) as zod schemas, and a queried task as
 * an UpstreamState. Only the fields Reelay acts on are read.
 */
import { z } from 'zod';
import type { UpstreamState } from '../remote-provider.ts';
import { statusSchema, upstreamState, videoUrlSchema } from '../reseller-shared.ts';

export const novitaCreatedSchema = z.object({ task_id: z.string().min(1) });
export type NovitaCreated = z.infer<typeof novitaCreatedSchema>;

const status = statusSchema({
  TASK_STATUS_QUEUED: 'queued',
  TASK_STATUS_PROCESSING: 'running',
  TASK_STATUS_SUCCEED: 'succeeded',
  TASK_STATUS_FAILED: 'failed',
  // [S] in one client schema only (spec §4.2).
  TASK_STATUS_CANCELED: 'canceled',
});

export const novitaTaskSchema = z.object({
  task: z.object({ status, reason: z.string().nullish(), progress_percent: z.number().nullish() }),
  videos: z.array(z.object({ video_url: videoUrlSchema })).nullish(),
});
export type NovitaTaskAnswer = z.infer<typeof novitaTaskSchema>;

export function novitaState(answer: NovitaTaskAnswer): UpstreamState {
  const { status, reason, progress_percent } = answer.task;
  const urls = (answer.videos ?? []).map((v) => v.video_url);
  return upstreamState(status, { progress: progress_percent, urls, message: reason });
}
