/**
 * APIMart's answers (spec §5.1 create, §5.2 query) as zod schemas, and a queried task as an
 * UpstreamState. Both arrive in `{"code":200,"data":...}`; an error `code` is handled before these.
 */
import { z } from 'zod';
import type { UpstreamState } from '../remote-provider.ts';
import { UNIFIED_STATUS_PHASES, statusSchema, upstreamState, videoUrlSchema } from '../reseller-shared.ts';

/** The create answer's `data` is an array of one `{status: "submitted", task_id}`. */
const createdItem = z.object({ task_id: z.string().min(1) });
export const apimartCreatedSchema = z.object({ data: z.tuple([createdItem], createdItem) });
export type ApimartCreated = z.infer<typeof apimartCreatedSchema>;

// [S] A video's `url` "may be a string or an array"; Reelay's dialect sends an array of one.
const videoSchema = z.object({ url: z.union([videoUrlSchema, z.array(videoUrlSchema)]) });

export const apimartTaskSchema = z.object({
  data: z.object({
    // The create answer says `submitted` (spec §6.1); a query may too.
    status: statusSchema({ ...UNIFIED_STATUS_PHASES, submitted: 'queued' }),
    progress: z.number().nullish(),
    result: z.object({ videos: z.array(videoSchema).nullish() }).nullish(),
    error: z.object({ message: z.string().nullish() }).nullish(),
  }),
});
export type ApimartTaskAnswer = z.infer<typeof apimartTaskSchema>;

export function apimartState(answer: ApimartTaskAnswer): UpstreamState {
  const { status, progress, result, error } = answer.data;
  const urls = (result?.videos ?? []).flatMap((v) => v.url);
  return upstreamState(status, { progress, urls, message: error?.message });
}
