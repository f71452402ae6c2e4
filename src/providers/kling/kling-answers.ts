/**
 * What the Kling legacy API answers (spec §1.4, §1.5): the envelope `{code, message, request_id,
 * data}`, the create data and the query data, parsed from `unknown` and turned into Reelay's
 * UpstreamState. An answer that does not parse is `ambiguous` (`bad_answer`): the call may have
 * worked, so the engine looks again rather than failing or resubmitting the task.
 */
import { z } from 'zod';
import type { UpstreamState, UpstreamVideo } from '../remote-provider.ts';
import { UpstreamError } from '../upstream-error.ts';

// §7.1: `code` is a number; a numeric string is read as one, so a loose proxy does not turn a
// success into an error.
const codeSchema = z.union([z.number().int(), z.string().regex(/^-?\d{1,9}$/).transform(Number)]);

const envelopeSchema = z.object({
  code: codeSchema,
  message: z.string().nullish(),
  request_id: z.string().nullish(),
  // Error answers (§1.8) carry no `data` at all.
  data: z.unknown().optional(),
});

export type KlingEnvelope = { code: number; message: string; requestId: string | null; data: unknown };

// Task ids are opaque strings (§1.4): a JSON number could already have been rounded by the parse.
const createDataSchema = z.object({ task_id: z.string().min(1) });

const videoSchema = z.object({
  url: z.string().min(1),
  watermark_url: z.string().nullish(),
  // Seconds as a string, possibly fractional ("5.042", §1.5); a number is taken as well.
  duration: z.union([z.string(), z.number()]).nullish(),
});

/** `succeeded` is the new design's word (§1.11); an upstream mixing the two is read either way (§7.2). */
const TASK_STATUSES = ['submitted', 'processing', 'succeed', 'succeeded', 'failed'] as const;

const queryDataSchema = z.object({
  task_id: z.string().min(1),
  task_status: z.enum(TASK_STATUSES),
  task_status_msg: z.string().nullish(),
  task_result: z.object({ videos: z.array(videoSchema).nullish() }).nullish(),
  final_unit_deduction: z.union([z.string(), z.number()]).nullish(),
  // Another Reelay adds its progress (0-100) here (its documented extension); Kling never does,
  // and a malformed one is ignored rather than failing an otherwise good answer.
  reelay: z.object({ progress: z.number().min(0).max(100) }).nullish().catch(null),
});

/** The envelope, or null when `json` is none (an HTML error page, a new-api error object, nothing). */
export function klingEnvelopeOf(json: unknown): KlingEnvelope | null {
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return null;
  const { code, message, request_id, data } = parsed.data;
  return { code, message: message ?? '', requestId: request_id ?? null, data };
}

/** The upstream task id in a create (or query) answer's `data`. */
export function klingTaskIdOf(data: unknown, what = 'the create answer'): string {
  return parseOrThrow(createDataSchema, data, what).task_id;
}

/** A query answer's `data` as Reelay's view of the task. */
export function klingStateOf(data: unknown): UpstreamState {
  const d = parseOrThrow(queryDataSchema, data, 'the query answer');
  switch (d.task_status) {
    case 'submitted':
      return { state: 'pending', phase: 'queued', progress: null };
    case 'processing':
      return { state: 'pending', phase: 'running', progress: d.reelay?.progress ?? null };
    case 'failed':
      return { state: 'failed', message: d.task_status_msg?.trim() || 'the upstream reported the task failed without a reason' };
    case 'succeed':
    case 'succeeded': {
      const videos = d.task_result?.videos ?? [];
      // A success without a video is not a result Reelay can keep: look again later.
      if (videos.length === 0) throw badAnswer(`the query answer says ${d.task_status} but data.task_result.videos is empty`);
      return { state: 'succeeded', videos: videos.map(videoOf), unitsCharged: nonNegativeNumber(d.final_unit_deduction) };
    }
  }
}

/**
 * A legacy Kling callback body (§1.7: the query answer's `data`, with no envelope) as Reelay's
 * view of task `upstreamId`; null for anything else (another task's id, the new design's
 * `{id, status, outputs}`, a body that is not the protocol's), which the engine then checks itself.
 */
export function klingCallbackStateOf(body: string, upstreamId: string): UpstreamState | null {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  const d = queryDataSchema.safeParse(json);
  if (!d.success || d.data.task_id !== upstreamId) return null;
  try {
    return klingStateOf(d.data);
  } catch {
    return null;
  }
}

function videoOf(v: z.infer<typeof videoSchema>): UpstreamVideo {
  return { url: v.url, watermarkUrl: v.watermark_url || null, durationSeconds: nonNegativeNumber(v.duration) };
}

/** "5.042" -> 5.042; an empty, negative or non-numeric value -> null (it is advice, not a rule). */
function nonNegativeNumber(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** `root` names `value` in the message, so a path reads as the upstream's own (`data.task_status`). */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string, root = 'data'): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw badAnswer(`${what} is not what the protocol says: ${describeIssues(parsed.error, root)}`);
}

export function badAnswer(message: string): UpstreamError {
  return new UpstreamError('ambiguous', 'bad_answer', message);
}

function describeIssues(error: z.ZodError, root: string): string {
  const shown = error.issues.slice(0, 3).map((i) => `${[root, ...i.path.map(String)].join('.')}: ${i.message}`);
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}
