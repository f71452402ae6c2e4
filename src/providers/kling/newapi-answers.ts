/**
 * Stock new-api's own success answers on `/kling/v1` (spec §3.2-§3.4), for the `newapi` protocol.
 * Forks that keep the Kling envelope (MAX-API, another Reelay) are read as Kling; stock new-api
 * answers a create with an OpenAI-video object and a query with its generic task record, and
 * both name the task by new-api's public id (`task_` + 32).
 */
import { z } from 'zod';
import type { UpstreamState } from '../remote-provider.ts';
import { badAnswer, parseOrThrow } from './kling-answers.ts';

const createSchema = z.object({
  object: z.literal('video'),
  task_id: z.string().min(1).nullish(),
  id: z.string().min(1).nullish(),
});

const PHASES = {
  NOT_START: 'queued',
  PREPARING: 'queued',
  SUBMITTED: 'queued',
  QUEUED: 'queued',
  IN_PROGRESS: 'running',
} as const;
const STATUSES = [...(Object.keys(PHASES) as (keyof typeof PHASES)[]), 'SUCCESS', 'FAILURE'] as const;

const querySchema = z.object({
  code: z.literal('success'),
  data: z.object({
    task_id: z.string().min(1),
    status: z.enum(STATUSES),
    fail_reason: z.string().nullish(),
    result_url: z.string().nullish(),
    // "30%": new-api's progress is a string with a percent sign.
    progress: z.string().nullish(),
  }),
});

/** Whether `json` is one of stock new-api's success shapes (and not a Kling envelope). */
export function isNewApiAnswer(json: unknown): boolean {
  return createSchema.safeParse(json).success || querySchema.safeParse(json).success;
}

export function newApiTaskIdOf(json: unknown): string {
  const answer = parseOrThrow(createSchema, json, 'the new-api create answer', 'body');
  const id = answer.task_id || answer.id;
  if (!id) throw badAnswer('the new-api create answer names no task (body.task_id and body.id are empty)');
  return id;
}

/** The task id a query answer names (a lookup's find). */
export function newApiQueryIdOf(json: unknown): string {
  return parseOrThrow(querySchema, json, 'the new-api query answer', 'body').data.task_id;
}

export function newApiStateOf(json: unknown): UpstreamState {
  const d = parseOrThrow(querySchema, json, 'the new-api query answer', 'body').data;
  switch (d.status) {
    case 'SUCCESS':
      // new-api keeps one URL and no duration or units (it bills by its own table).
      if (!d.result_url) throw badAnswer('the new-api query answer says SUCCESS but body.data.result_url is empty');
      return { state: 'succeeded', videos: [{ url: d.result_url, watermarkUrl: null, durationSeconds: null }], unitsCharged: null };
    case 'FAILURE':
      return { state: 'failed', message: d.fail_reason?.trim() || 'the upstream reported the task failed without a reason' };
    default:
      return { state: 'pending', phase: PHASES[d.status], progress: PHASES[d.status] === 'running' ? percentOf(d.progress) : null };
  }
}

function percentOf(progress: string | null | undefined): number | null {
  const m = /^\s*(\d{1,3}(?:\.\d+)?)\s*%?\s*$/.exec(progress ?? '');
  if (!m) return null;
  const n = Number(m[1]);
  return n <= 100 ? n : null;
}
