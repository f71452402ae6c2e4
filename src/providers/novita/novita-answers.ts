/**
 * Novita's answers (spec §4.1 create, §4.2 Get Task Result) as zod schemas, and a queried task as
 * an UpstreamState. Only the fields Reelay acts on are read.
 */
import { z } from 'zod';
import type { UpstreamState } from '../remote-provider.ts';
import { upstreamState, videoUrlSchema, type ResellerPhase } from '../reseller-shared.ts';

export const novitaCreatedSchema = z.object({ task_id: z.string().min(1) });
export type NovitaCreated = z.infer<typeof novitaCreatedSchema>;

const STATUS_PHASES = {
  TASK_STATUS_QUEUED: 'queued',
  TASK_STATUS_PROCESSING: 'running',
  TASK_STATUS_SUCCEED: 'succeeded',
  TASK_STATUS_FAILED: 'failed',
  TASK_STATUS_CANCELED: 'canceled',
} as const satisfies Record<string, ResellerPhase>;

const STATUSES = Object.keys(STATUS_PHASES) as Array<keyof typeof STATUS_PHASES>;

export const novitaTaskSchema = z.object({
  task: z.object({ status: z.enum(STATUSES), reason: z.string().nullish(), progress_percent: z.number().nullish() }),
  videos: z.array(z.object({ video_url: videoUrlSchema })).nullish(),
});
export type NovitaTaskAnswer = z.infer<typeof novitaTaskSchema>;

export function novitaState(answer: NovitaTaskAnswer): UpstreamState {
  const { status, reason, progress_percent } = answer.task;
  const urls = (answer.videos ?? []).map((v) => v.video_url);
  return upstreamState(STATUS_PHASES[status], { progress: progress_percent, urls, message: reason });
}
