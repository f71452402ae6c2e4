/**
 * The two new-design read requests (spec §1.11): `GET /tasks?task_ids=a,b` or
 * `?external_task_ids=x,y` (exactly one kind), and the `POST /tasks` window listing
 * `{start_time, end_time, cursor, limit, filters:[{key, values}]}`.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { TaskKind, TaskStatus } from '../../domain/task.ts';
import { NOT_AN_OBJECT, isObjectBody, list, obj, oneOf, readShape, str } from '../shared/wire-shape.ts';
import type { KlingNewStatus } from './render-task.ts';

export const MAX_IDS_PER_QUERY = 500; // [I] not documented; the listing's own page maximum
export const LIST_LIMITS = { defaultLimit: 100, maxLimit: 500, defaultWindowMs: 30 * 86_400_000 } as const;

export type TaskRefs = { by: 'public' | 'external'; ids: string[] };

/** Reads the id list of `GET /tasks`; blanks between commas are ignored. */
export function parseTaskRefs(query: { task_ids?: string | undefined; external_task_ids?: string | undefined }): TaskRefs {
  const given = (['task_ids', 'external_task_ids'] as const).filter((name) => query[name] !== undefined);
  if (given.length !== 1) {
    const rule = given.length === 0 ? 'one of them is required' : 'give only one of them';
    throw new AppError('invalid_parameter', `task_ids or external_task_ids: ${rule}`, { field: 'task_ids' });
  }
  const name = given[0] as 'task_ids' | 'external_task_ids';
  const ids = [...new Set((query[name] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  if (ids.length === 0) throw new AppError('invalid_parameter', `${name} must list at least one id`, { field: name });
  if (ids.length > MAX_IDS_PER_QUERY) {
    throw new AppError('invalid_parameter', `${name} must list at most ${MAX_IDS_PER_QUERY} ids`, { field: name });
  }
  return { by: name === 'task_ids' ? 'public' : 'external', ids };
}

/** Filter values -> Reelay statuses: one word may stand for more (failed covers canceled). */
const STATUS_FILTER: Record<KlingNewStatus, TaskStatus[]> = {
  submitted: ['queued'],
  processing: ['running'],
  succeeded: ['completed'],
  failed: ['failed', 'canceled'],
};
const STATUS_WORDS = Object.keys(STATUS_FILTER) as KlingNewStatus[];

/** Reelay makes videos only: image and try_on are valid words that match no task. */
const PRODUCT_FILTER: Record<string, TaskKind[]> = { video: ['text2video', 'image2video'], image: [], try_on: [] };
const PRODUCT_WORDS = Object.keys(PRODUCT_FILTER);

export type TaskListQuery = {
  from: number;
  to: number;
  cursor: string | null;
  limit: number;
  statuses: TaskStatus[] | undefined;
  kinds: TaskKind[] | undefined;
};

const MS = 'must be a Unix time in milliseconds (a string of digits)';
// Kling documents ms strings; a JSON number is taken too, the way Reelay takes Kling's durations [I].
const millis = () => z.union([z.string().regex(/^\d{1,15}$/, { error: MS }), z.number({ error: MS }).int({ error: MS }).nonnegative({ error: MS }).max(1e15, { error: MS })], { error: MS });
const LIMIT = `must be an integer between 1 and ${LIST_LIMITS.maxLimit}`;
const limit = () => z.union([z.string().regex(/^\d{1,4}$/, { error: LIMIT }), z.number({ error: LIMIT }).int({ error: LIMIT })], { error: LIMIT });

export const listSchema = z.object({
  start_time: millis().nullish(),
  end_time: millis().nullish(),
  cursor: str().nullish(),
  limit: limit().nullish(),
  filters: list(
    obj({
      key: z.enum(['status', 'product_type'], oneOf(['status', 'product_type'])),
      values: z.array(str(), { error: 'must be an array of strings' }).min(1, { error: 'must hold at least one value' }),
    }),
  ).nullish(),
});

/** Parses the `POST /tasks` body (an empty body means every default); `now` is epoch ms. */
export function parseTaskListBody(body: unknown, now: number): TaskListQuery {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  const b = readShape(listSchema, body);
  const to = b.end_time == null ? now : Number(b.end_time);
  const from = b.start_time == null ? to - LIST_LIMITS.defaultWindowMs : Number(b.start_time);
  if (from > to) throw new AppError('invalid_parameter', 'start_time must not be later than end_time', { field: 'start_time' });
  const size = b.limit == null ? LIST_LIMITS.defaultLimit : Number(b.limit);
  if (!(Number.isInteger(size) && size >= 1 && size <= LIST_LIMITS.maxLimit)) {
    throw new AppError('invalid_parameter', `limit ${LIMIT}`, { field: 'limit' });
  }
  let statuses: TaskStatus[] | undefined;
  let kinds: TaskKind[] | undefined;
  // Filters combine with AND, the values of one filter with OR [I].
  for (const [i, filter] of (b.filters ?? []).entries()) {
    const table: Record<string, readonly string[]> = filter.key === 'status' ? STATUS_FILTER : PRODUCT_FILTER;
    const words = filter.key === 'status' ? STATUS_WORDS : PRODUCT_WORDS;
    const matched = new Set<string>();
    for (const [j, value] of filter.values.entries()) {
      if (!Object.hasOwn(table, value)) {
        const field = `filters[${i}].values[${j}]`;
        throw new AppError('invalid_parameter', `${field} must be one of: ${words.join(', ')}`, { field });
      }
      for (const v of table[value] ?? []) matched.add(v);
    }
    if (filter.key === 'status') statuses = intersect(statuses, matched) as TaskStatus[];
    else kinds = intersect(kinds, matched) as TaskKind[];
  }
  return { from, to, cursor: b.cursor || null, limit: size, statuses, kinds };
}

function intersect(current: readonly string[] | undefined, next: Set<string>): string[] {
  return current === undefined ? [...next] : current.filter((v) => next.has(v));
}
