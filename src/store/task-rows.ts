/** Maps task rows to domain Tasks; JSON columns are parsed with zod, never trusted. */
import { z } from 'zod';
import {
  ASPECT_RATIOS,
  CAMERA_TYPES,
  SHOT_TYPES,
  TIERS,
  type VideoRequest,
} from '../domain/video-request.ts';
import { TASK_KINDS, TASK_STATUSES, type Task, type TaskResult } from '../domain/task.ts';
import type { Selectable } from 'kysely';
import type { TasksTable } from './schema.ts';

const axis = z.number().optional();
const cameraConfig = z.object({ horizontal: axis, vertical: axis, pan: axis, tilt: axis, roll: axis, zoom: axis });

export const videoRequestSchema = z.object({
  model: z.string(),
  prompt: z.string(),
  negativePrompt: z.string(),
  multiShot: z.enum(SHOT_TYPES).nullable(),
  shots: z.array(z.object({ index: z.number(), prompt: z.string(), duration: z.number() })),
  duration: z.number(),
  tier: z.enum(TIERS),
  aspectRatio: z.enum(ASPECT_RATIOS),
  sound: z.boolean(),
  voiceIds: z.array(z.string()),
  cfgScale: z.number().nullable(),
  cameraControl: z.object({ type: z.enum(CAMERA_TYPES), config: cameraConfig.optional() }).nullable(),
  watermark: z.boolean(),
  callbackUrl: z.string().nullable(),
  externalTaskId: z.string().nullable(),
  firstFrame: z.string().nullable().default(null),
  lastFrame: z.string().nullable().default(null),
  elements: z
    .array(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('subject'), name: z.string(), description: z.string(), imageUrls: z.array(z.string()) }),
        z.object({ kind: z.literal('saved'), elementId: z.string() }),
      ]),
    )
    .default([]),
}) satisfies z.ZodType<VideoRequest, unknown>;

const taskResultSchema = z.object({
  videos: z.array(
    z.object({ id: z.string(), key: z.string(), watermarkKey: z.string().optional(), duration: z.number() }),
  ),
}) satisfies z.ZodType<TaskResult, unknown>;

// Built once: a zod schema is costly to construct, and every task read passes through here.
const taskKindSchema = z.enum(TASK_KINDS);
const taskStatusSchema = z.enum(TASK_STATUSES);

export function parseRequestJson(json: string): VideoRequest {
  return videoRequestSchema.parse(JSON.parse(json)) as VideoRequest;
}

export function rowToTask(row: Selectable<TasksTable>): Task {
  return {
    id: row.id,
    publicId: row.public_id,
    keyId: row.key_id,
    dialect: row.dialect,
    kind: taskKindSchema.parse(row.kind),
    request: parseRequestJson(row.request),
    status: taskStatusSchema.parse(row.status),
    progress: row.progress,
    provider: row.provider,
    upstreamId: row.upstream_id,
    attempts: row.attempts,
    result: row.result === null ? null : (taskResultSchema.parse(JSON.parse(row.result)) as TaskResult),
    failure: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    unitsCharged: row.units_charged,
    billing:
      row.hold_micros === null
        ? null
        : { holdMicros: row.hold_micros, chargedMicros: row.charged_micros, releasedMicros: row.released_micros, billedSeconds: row.billed_seconds },
    submitStartedAt: row.submit_started_at,
    checks: row.checks,
    mirrorFailures: row.mirror_failures,
    nudges: row.nudges,
    cancelRequestedAt: row.cancel_requested_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
