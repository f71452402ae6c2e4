/**
 * The Kling legacy task endpoints (spec §1.3-§1.5, §1.10): create, query by task_id or
 * external_task_id, list. Each authenticates, then may answer an injected error instead of
 * doing the work; an injected error on create creates nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KLING_CODES } from '../../src/dialects/kling/envelope.ts';
import { parseKlingCreate } from '../../src/dialects/kling/parse-create.ts';
import { isAppError } from '../../src/domain/errors.ts';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import type { SimDeps } from './sim-deps.ts';
import { KlingSimError } from './sim-errors.ts';
import { readJsonBody, sendKlingData } from './sim-http.ts';
import type { SimTaskKind } from './sim-types.ts';

const MODELS = ['kling-v3'];

function injected(deps: SimDeps, code: number | null): void {
  if (code === null) return;
  deps.stats.injectedErrors[code] = (deps.stats.injectedErrors[code] ?? 0) + 1;
  throw new KlingSimError(code);
}

/** Reelay's own parser checks the body; its AppError becomes the Kling code and status. */
function parseBody(body: unknown, kind: SimTaskKind): VideoRequest {
  try {
    return parseKlingCreate(body, { models: MODELS, kind });
  } catch (e) {
    if (isAppError(e)) throw new KlingSimError(KLING_CODES[e.code], e.message, e.status);
    throw e;
  }
}

export async function createTask(deps: SimDeps, req: IncomingMessage, res: ServerResponse, kind: SimTaskKind): Promise<void> {
  const account = await deps.auth(req.headers.authorization);
  injected(deps, deps.dice.createError());
  const body = await readJsonBody(req);
  const request = parseBody(body, kind);
  const record = deps.book.accept({ account, kind, body, request });
  deps.lifecycle.start(record);
  if (deps.dice.dropAfterAccept()) {
    // The ambiguous failure a client must survive: the task exists, the answer never arrives.
    deps.stats.droppedResponses++;
    res.socket?.destroy();
    return;
  }
  const { task } = record;
  sendKlingData(res, {
    task_id: task.taskId,
    task_status: task.status,
    task_info: task.externalTaskId === null ? {} : { external_task_id: task.externalTaskId },
    created_at: task.createdAt,
    updated_at: task.updatedAt,
  });
}

export async function queryTask(deps: SimDeps, req: IncomingMessage, res: ServerResponse, kind: SimTaskKind, id: string): Promise<void> {
  const account = await deps.auth(req.headers.authorization);
  injected(deps, deps.dice.queryError());
  const record = deps.book.find(account.accessKey, kind, id);
  if (!record) throw new KlingSimError(1203, `task ${id} does not exist`);
  sendKlingData(res, deps.view.data(record));
}

function pageParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new KlingSimError(1201, `${name} must be an integer between 1 and ${max}`);
  return n;
}

export async function listTasks(deps: SimDeps, req: IncomingMessage, res: ServerResponse, kind: SimTaskKind, params: URLSearchParams): Promise<void> {
  const account = await deps.auth(req.headers.authorization);
  injected(deps, deps.dice.queryError());
  const pageNum = pageParam(params, 'pageNum', 1, 1000);
  const pageSize = pageParam(params, 'pageSize', 30, 500);
  const page = deps.book.list(account.accessKey, kind).slice((pageNum - 1) * pageSize, pageNum * pageSize);
  sendKlingData(res, page.map((r) => deps.view.data(r)));
}
