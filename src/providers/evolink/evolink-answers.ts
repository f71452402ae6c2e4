/**
 * EvoLink's answers (spec §2.1 create, §2.2 query) as zod schemas, and a queried task as an
 * UpstreamState. Only the fields Reelay acts on are read; the rest of the object is ignored.
 */
import { z } from 'zod';
import type { UpstreamState } from '../remote-provider.ts';
import { UNIFIED_STATUS_PHASES, statusSchema, upstreamState, videoUrlSchema } from '../reseller-shared.ts';

export const evolinkCreatedSchema = z.object({ id: z.string().min(1) });
export type EvolinkCreated = z.infer<typeof evolinkCreatedSchema>;

export const evolinkTaskSchema = z.object({
  status: statusSchema(UNIFIED_STATUS_PHASES),
  progress: z.number().nullish(),
  results: z.array(videoUrlSchema).nullish(),
  error: z.object({ code: z.union([z.string(), z.number()]).nullish(), message: z.string().nullish() }).nullish(),
});

export type EvolinkTaskAnswer = z.infer<typeof evolinkTaskSchema>;

export function evolinkState(task: EvolinkTaskAnswer): UpstreamState {
  const code = task.error?.code;
  const message = task.error?.message ?? (code !== undefined && code !== null ? String(code) : null);
  return upstreamState(task.status, { progress: task.progress, urls: task.results ?? [], message });
}
