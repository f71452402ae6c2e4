/**
 * The `reelay tasks` client of a running Reelay. The server has no dialect-neutral task list or
 * read, so this reads the official Kling routes, which answer for every task of the key whatever
 * dialect made it (`GET /v1/videos/{kind}` newest first, `GET /v1/videos/{kind}/{id}`), and the
 * routes every dialect shares (`GET /v1/tasks/{id}/events`, `POST /v1/tasks/{id}/cancel`). The
 * events name the task's Reelay status exactly; Kling's words fold `canceled` into `failed`.
 */
import { z } from 'zod';
import { ApiError } from './api-client.ts';
import type { ServerConnection } from './server-connection.ts';

export const TASK_KINDS = ['text2video', 'image2video'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export const TERMINAL_STATUSES = ['completed', 'failed', 'canceled'] as const;
export type ReelayStatus = 'queued' | 'running' | (typeof TERMINAL_STATUSES)[number];

const klingTask = z.object({
  task_id: z.string(),
  task_status: z.enum(['submitted', 'processing', 'succeed', 'failed']),
  task_status_msg: z.string().default(''),
  task_info: z.object({ external_task_id: z.string().optional() }).default({}),
  task_result: z.object({ videos: z.array(z.object({ id: z.string().optional(), url: z.string(), duration: z.string() })) }).optional(),
  final_unit_deduction: z.string().optional(),
  created_at: z.number(),
  updated_at: z.number(),
  reelay: z.object({ progress: z.number() }).default({ progress: 0 }),
});
type KlingTask = z.infer<typeof klingTask>;
const klingEnvelope = z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() });

/** A task as `reelay tasks` shows it. */
export type TaskView = {
  task_id: string;
  kind: TaskKind;
  status: ReelayStatus;
  progress: number;
  message: string;
  external_task_id: string | null;
  created_at: string;
  updated_at: string;
  videos: Array<{ url: string; duration_seconds: number }>;
  credits_charged: number | null;
};

export type TaskEvent = { status: string; data: unknown };

const KLING_TO_REELAY: Record<KlingTask['task_status'], ReelayStatus> = { submitted: 'queued', processing: 'running', succeed: 'completed', failed: 'failed' };

export function isTerminalStatus(status: string): status is (typeof TERMINAL_STATUSES)[number] {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

function toView(task: KlingTask, kind: TaskKind, exactStatus?: string): TaskView {
  let status = KLING_TO_REELAY[task.task_status];
  // Kling has no cancel: a canceled task reads as failed with this message (src/dialects/shared/task-message.ts).
  if (status === 'failed' && task.task_status_msg === 'the task was canceled') status = 'canceled';
  if (exactStatus && (exactStatus === 'queued' || exactStatus === 'running' || isTerminalStatus(exactStatus))) status = exactStatus;
  return {
    task_id: task.task_id,
    kind,
    status,
    progress: task.reelay.progress,
    message: task.task_status_msg,
    external_task_id: task.task_info.external_task_id ?? null,
    created_at: new Date(task.created_at).toISOString(),
    updated_at: new Date(task.updated_at).toISOString(),
    videos: (task.task_result?.videos ?? []).map((v) => ({ url: v.url, duration_seconds: Number(v.duration) })),
    credits_charged: task.final_unit_deduction === undefined ? null : Number(task.final_unit_deduction),
  };
}

/** The message of any of the server's error bodies: Kling's `{code,message}`, or `{error:{message}}`. */
function errorMessage(body: unknown, status: number): string {
  const b = body as { code?: unknown; message?: unknown; msg?: unknown; error?: { message?: unknown; code?: unknown } } | null;
  if (b?.error && typeof b.error.message === 'string') return `${b.error.message} (HTTP ${status})`;
  if (b && typeof b.message === 'string') return `${b.message}${typeof b.code === 'number' ? ` (code ${b.code}, HTTP ${status})` : ` (HTTP ${status})`}`;
  if (b && typeof b.msg === 'string') return `${b.msg} (HTTP ${status})`;
  return `unexpected answer (HTTP ${status})`;
}

export function createTasksClient({ baseUrl, key }: ServerConnection) {
  async function request(method: string, path: string, init: { accept?: string; signal?: AbortSignal } = {}): Promise<Response> {
    try {
      return await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(init.accept ? { accept: init.accept } : {}) },
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (e) {
      throw new ApiError(`cannot reach Reelay at ${baseUrl}: ${(e as Error).message} (is \`npm start\` running?)`);
    }
  }

  /** A Kling route's `data`, or null when it answers "task not found" (1203). */
  async function kling(path: string): Promise<unknown> {
    const res = await request('GET', path);
    const body: unknown = await res.json().catch(() => null);
    const parsed = klingEnvelope.safeParse(body);
    if (!parsed.success) throw new ApiError(`unexpected answer from ${baseUrl}${path} (HTTP ${res.status})`);
    if (parsed.data.code === 1203) return null;
    if (parsed.data.code !== 0) throw new ApiError(errorMessage(body, res.status));
    return parsed.data.data;
  }

  async function findKling(id: string): Promise<{ task: KlingTask; kind: TaskKind } | null> {
    for (const kind of TASK_KINDS) {
      const data = await kling(`/v1/videos/${kind}/${encodeURIComponent(id)}`);
      if (data !== null) return { task: klingTask.parse(data), kind };
    }
    return null;
  }

  /** The task's events until the server closes the stream (after the terminal one). */
  async function* events(id: string, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    const res = await request('GET', `/v1/tasks/${encodeURIComponent(id)}/events`, { accept: 'text/event-stream', ...(signal ? { signal } : {}) });
    if (!res.ok || !res.body) {
      const body: unknown = await res.json().catch(() => null);
      throw new ApiError(errorMessage(body, res.status));
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += value.replace(/\r\n?/g, '\n');
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length === 0) continue;
          let parsed: unknown;
          try {
            parsed = JSON.parse(data.join('\n'));
          } catch {
            parsed = data.join('\n');
          }
          yield { status: event, data: parsed };
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** The exact Reelay status: the stream's first event names it. */
  async function currentStatus(id: string): Promise<string | undefined> {
    const controller = new AbortController();
    try {
      for await (const e of events(id, controller.signal)) return e.status;
      return undefined;
    } finally {
      controller.abort();
    }
  }

  return {
    /** The key's tasks of every kind, newest first, at most `limit`. */
    async list(limit: number): Promise<TaskView[]> {
      const pages = await Promise.all(
        TASK_KINDS.map(async (kind) => {
          const data = await kling(`/v1/videos/${kind}?pageNum=1&pageSize=${Math.min(limit, 500)}`);
          return z.array(klingTask).parse(data ?? []).map((t) => toView(t, kind));
        }),
      );
      return pages
        .flat()
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.task_id.localeCompare(a.task_id))
        .slice(0, limit);
    },

    /** One of the key's tasks by its id (any dialect's, or a Kling external_task_id); null when it is not theirs. */
    async show(id: string): Promise<TaskView | null> {
      const found = await findKling(id);
      if (!found) return null;
      const status = await currentStatus(found.task.task_id).catch(() => undefined);
      return toView(found.task, found.kind, status);
    },

    /** Cancels; answers the server's words when the task is already over. */
    async cancel(id: string): Promise<void> {
      const res = await request('POST', `/v1/tasks/${encodeURIComponent(id)}/cancel`);
      const body: unknown = await res.json().catch(() => null);
      const b = body as { code?: unknown; error?: unknown } | null;
      if (!res.ok || (typeof b?.code === 'number' && b.code !== 0) || (b?.error !== undefined && b.error !== null)) {
        throw new ApiError(errorMessage(body, res.status));
      }
    },

    events,
  };
}

/** Progress 0-100 from any dialect's task body (Kling's `data.reelay.progress`, the others' `progress`). */
export function progressOf(body: unknown): number | undefined {
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): number | undefined => {
    if (!v || typeof v !== 'object' || depth > 3 || seen.has(v)) return undefined;
    seen.add(v);
    const o = v as Record<string, unknown>;
    if (typeof o.progress === 'number') return o.progress;
    for (const k of ['reelay', 'data']) {
      const found = walk(o[k], depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(body, 0);
}
