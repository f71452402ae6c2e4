/**
 * Each dialect's error envelope and created-task shape, as plain checks that return what is
 * wrong (null when nothing is): the abuse suite runs them on tens of thousands of answers and
 * reports the first few problems with the request that caused them. The shapes are those of
 * src/dialects/<dialect>/envelope.ts and render-task.ts (and the spec, shared/spec/kling-api.md).
 */

export type Problem = string | null;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Exactly these keys (the optional ones may be missing). */
function keysAre(o: Obj, required: string[], optional: string[] = []): Problem {
  const keys = Object.keys(o);
  const missing = required.filter((k) => !keys.includes(k));
  const extra = keys.filter((k) => !required.includes(k) && !optional.includes(k));
  if (missing.length || extra.length) return `keys: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`;
  return null;
}

const first = (...problems: Array<() => Problem>): Problem => {
  for (const p of problems) {
    const found = p();
    if (found) return found;
  }
  return null;
};

// ---- Kling (legacy /v1, new-api /kling/v1 and the new design share the official envelope) ----

/** The official codes each HTTP status may carry (spec §1.8, src/dialects/kling/envelope.ts). */
const KLING_CODES_BY_STATUS: Record<number, number[]> = {
  400: [1200, 1201],
  401: [1000, 1001, 1002, 1003, 1004],
  403: [1103],
  404: [1202, 1203],
  409: [1201],
  429: [1102, 1302, 1303],
};

export function klingErrorProblem(status: number, body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  return first(
    () => keysAre(body, ['code', 'message', 'request_id']),
    () => (KLING_CODES_BY_STATUS[status]?.includes(body.code as number) ? null : `code ${String(body.code)} is not an official code for HTTP ${status}`),
    () => (isNonEmptyString(body.message) ? null : 'message is not a non-empty string'),
    () => (typeof body.request_id === 'string' && UUID.test(body.request_id) ? null : 'request_id is not a request id'),
  );
}

export function klingCreatedProblem(body: unknown, flavor: 'kling' | 'newapi'): Problem {
  if (!isObj(body)) return 'not a JSON object';
  const id = flavor === 'newapi' ? /^task_[0-9A-Za-z]{32}$/ : /^\d{18}$/;
  const data = body.data;
  return first(
    () => keysAre(body, ['code', 'message', 'request_id', 'data'], flavor === 'newapi' ? ['task_id'] : []),
    () => (body.code === 0 && body.message === 'SUCCEED' ? null : 'code/message are not 0/SUCCEED'),
    () => (isObj(data) ? null : 'data is not an object'),
    () => (typeof (data as Obj).task_id === 'string' && id.test((data as Obj).task_id as string) ? null : `data.task_id ${String((data as Obj).task_id)} is not a ${flavor} id`),
    () => ((data as Obj).task_status === 'submitted' ? null : `task_status is ${String((data as Obj).task_status)}`),
    () => (typeof (data as Obj).created_at === 'number' && typeof (data as Obj).updated_at === 'number' ? null : 'created_at/updated_at are not numbers'),
    () => (isObj((data as Obj).task_info) ? null : 'task_info is not an object'),
    () => (flavor === 'newapi' && body.task_id !== (data as Obj).task_id ? 'the top-level task_id is not data.task_id' : null),
  );
}

export function klingNewCreatedProblem(body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  const data = body.data;
  return first(
    () => keysAre(body, ['code', 'message', 'request_id', 'data']),
    () => (body.code === 0 && body.message === 'SUCCEED' ? null : 'code/message are not 0/SUCCEED'),
    () => (isObj(data) ? keysAre(data, ['id', 'status', 'create_time', 'update_time', 'external_id']) : 'data is not an object'),
    () => (/^\d{18}$/.test(String((data as Obj).id)) ? null : 'data.id is not an 18-digit id'),
    () => ((data as Obj).status === 'submitted' ? null : `status is ${String((data as Obj).status)}`),
    () => (typeof (data as Obj).external_id === 'string' ? null : 'external_id is not a string'),
  );
}

// ---- EvoLink and APIMart ----

const EVOLINK_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'invalid_request_error',
  413: 'request_too_large_error',
  429: 'rate_limit_error',
};

export function evolinkErrorProblem(status: number, body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  const error = body.error;
  return first(
    () => keysAre(body, ['error']),
    () => (isObj(error) ? keysAre(error, ['code', 'message', 'type'], ['param']) : 'error is not an object'),
    () => ((error as Obj).code === status ? null : `error.code ${String((error as Obj).code)} is not the HTTP status ${status}`),
    () => ((error as Obj).type === EVOLINK_TYPES[status] ? null : `error.type ${String((error as Obj).type)} is not EvoLink's word for ${status}`),
    () => (isNonEmptyString((error as Obj).message) ? null : 'error.message is not a non-empty string'),
    () => ((error as Obj).param === undefined || typeof (error as Obj).param === 'string' ? null : 'error.param is not a string'),
  );
}

export function apimartErrorProblem(status: number, body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  const error = body.error;
  return first(
    () => keysAre(body, ['code', 'error']),
    () => (body.code === status ? null : `code ${String(body.code)} is not the HTTP status ${status}`),
    () => (isObj(error) ? keysAre(error, ['message', 'type'], ['param']) : 'error is not an object'),
    () => ((error as Obj).type === EVOLINK_TYPES[status] ? null : `error.type ${String((error as Obj).type)} is not the word for ${status}`),
    () => (isNonEmptyString((error as Obj).message) ? null : 'error.message is not a non-empty string'),
  );
}

export function evolinkCreatedProblem(body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  return first(
    () => (/^task-unified-\d{10}-[0-9a-z]{8}$/.test(String(body.id)) ? null : `id ${String(body.id)} is not an EvoLink id`),
    () => (body.object === 'video.generation.task' && body.type === 'video' ? null : 'object/type are not video.generation.task/video'),
    () => (body.status === 'pending' && body.progress === 0 ? null : `status/progress are ${String(body.status)}/${String(body.progress)}`),
    () => (body.model === 'kling-v3-text-to-video' || body.model === 'kling-v3-turbo-text-to-video' ? null : `model ${String(body.model)}`),
    () => (isObj(body.task_info) && typeof body.task_info.video_duration === 'number' ? null : 'task_info.video_duration is missing'),
  );
}

export function apimartCreatedProblem(body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  const data = body.data;
  return first(
    () => keysAre(body, ['code', 'data']),
    () => (body.code === 200 ? null : `code ${String(body.code)}`),
    () => (Array.isArray(data) && data.length === 1 && isObj(data[0]) ? keysAre(data[0], ['status', 'task_id']) : 'data is not one task'),
    () => ((data as Obj[])[0]?.status === 'submitted' ? null : 'status is not submitted'),
    () => (/^task_[0-9A-HJKMNP-TV-Z]{26}$/.test(String((data as Obj[])[0]?.task_id)) ? null : 'task_id is not an APIMart id'),
  );
}

// ---- Novita ----

export function novitaErrorProblem(status: number, body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  return first(
    () => keysAre(body, ['code', 'reason', 'message', 'metadata']),
    () => (body.code === status ? null : `code ${String(body.code)} is not the HTTP status ${status}`),
    () => (typeof body.reason === 'string' && /^[A-Z][A-Z_]+$/.test(body.reason) ? null : `reason ${String(body.reason)} is not an UPPER_SNAKE word`),
    () => (isNonEmptyString(body.message) ? null : 'message is not a non-empty string'),
    () => (isObj(body.metadata) && Object.keys(body.metadata).length === 0 ? null : 'metadata is not {}'),
  );
}

export function novitaCreatedProblem(body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  return first(
    () => keysAre(body, ['task_id']),
    () => (UUID.test(String(body.task_id)) ? null : 'task_id is not a UUID'),
  );
}

// ---- OpenAI ----

const OPENAI_TYPES = ['invalid_request_error', 'insufficient_quota', 'requests'];

export function openAiErrorProblem(status: number, body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  const error = body.error;
  return first(
    () => keysAre(body, ['error']),
    () => (isObj(error) ? keysAre(error, ['message', 'type', 'param', 'code']) : 'error is not an object'),
    () => (OPENAI_TYPES.includes((error as Obj).type as string) ? null : `error.type ${String((error as Obj).type)}`),
    () => (isNonEmptyString((error as Obj).message) ? null : 'error.message is not a non-empty string'),
    () => ((error as Obj).param === null || typeof (error as Obj).param === 'string' ? null : 'error.param is not a string or null'),
    () => ((error as Obj).code === null || typeof (error as Obj).code === 'string' ? null : 'error.code is not a string or null'),
    () => (status === 429 || (error as Obj).type === 'invalid_request_error' ? null : `type ${String((error as Obj).type)} with HTTP ${status}`),
  );
}

export function openAiCreatedProblem(body: unknown): Problem {
  if (!isObj(body)) return 'not a JSON object';
  return first(
    () => (/^video_[0-9a-f]{32}$/.test(String(body.id)) ? null : 'id is not a video id'),
    () => (body.object === 'video' && body.status === 'queued' ? null : `object/status are ${String(body.object)}/${String(body.status)}`),
    () => (typeof body.seconds === 'string' && /^\d+$/.test(body.seconds) ? null : 'seconds is not a string of digits'),
    () => (typeof body.size === 'string' && /^\d+x\d+$/.test(body.size) ? null : 'size is not WIDTHxHEIGHT'),
    () => (body.error === null && body.completed_at === null ? null : 'error/completed_at are not null'),
  );
}
