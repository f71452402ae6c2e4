/**
 * Where the simulated tasks live: by task id, by (account, external_task_id), and each account's
 * count of held concurrency slots. Kling holds a slot from `submitted` until the task ends
 * (spec §1.6, §1.8), and an external_task_id is unique per account (§1.3).
 */
import { randomUUID } from 'node:crypto';
import { klingTaskId } from '../../src/domain/ids.ts';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { KlingSimError } from './sim-errors.ts';
import type { RenderedFiles } from './sim-render-cache.ts';
import { unitsFor } from './sim-wire.ts';
import type { SimAccount, SimStats, SimTask, SimTaskKind } from './sim-types.ts';

/** A task and what only the simulator sees of it. */
export type TaskRecord = {
  task: SimTask;
  request: VideoRequest;
  videoId: string;
  /** Set when it succeeds. */
  files: RenderedFiles | null;
  /** The pending status change, if any. */
  timer: NodeJS.Timeout | null;
};

export type TaskBook = {
  /** Registers a new `submitted` task; throws the Kling error for a reused external id or a full account. */
  accept(input: { account: SimAccount; kind: SimTaskKind; body: unknown; request: VideoRequest }): TaskRecord;
  /** Frees the task's concurrency slot; call once, when it ends. */
  release(record: TaskRecord): void;
  /** The account's task of this kind, by task_id or by its external_task_id (spec §1.5). */
  find(accessKey: string, kind: SimTaskKind, id: string): TaskRecord | undefined;
  /** The account's tasks of this kind, newest first. */
  list(accessKey: string, kind: SimTaskKind): TaskRecord[];
  /** Any account's task by task_id, else by external_task_id. */
  lookup(idOrExternal: string): TaskRecord | undefined;
  all(): TaskRecord[];
};

export const CONCURRENCY_MESSAGE = 'parallel task over resource pack limit';

export function createTaskBook(stats: SimStats): TaskBook {
  const byId = new Map<string, TaskRecord>();
  // The account and the external id joined by a newline, which neither may contain.
  const byExternal = new Map<string, TaskRecord>();
  // For lookups without an account (tests, benchmarks): the first task that used the id.
  const byExternalAnyAccount = new Map<string, TaskRecord>();
  const active = new Map<string, number>();

  function newTaskId(now: number): string {
    // 21 random bits per millisecond: a burst can collide, so draw again.
    for (;;) {
      const id = klingTaskId(now);
      if (!byId.has(id)) return id;
    }
  }

  return {
    accept({ account, kind, body, request }) {
      const external = request.externalTaskId;
      if (external !== null && byExternal.has(`${account.accessKey}\n${external}`)) {
        stats.duplicateExternalIds++;
        throw new KlingSimError(1201, `external_task_id '${external}' is already used by another task of this account; it must be unique`);
      }
      const held = active.get(account.accessKey) ?? 0;
      if (held >= account.concurrency) {
        stats.concurrencyRefusals++;
        throw new KlingSimError(1303, CONCURRENCY_MESSAGE);
      }
      const now = Date.now();
      const task: SimTask = {
        taskId: newTaskId(now),
        externalTaskId: external,
        accessKey: account.accessKey,
        kind,
        status: 'submitted',
        statusMsg: '',
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
        callbackUrl: request.callbackUrl,
        body,
        units: unitsFor(request),
      };
      const record: TaskRecord = { task, request, videoId: randomUUID(), files: null, timer: null };
      byId.set(task.taskId, record);
      if (external !== null) {
        byExternal.set(`${account.accessKey}\n${external}`, record);
        if (!byExternalAnyAccount.has(external)) byExternalAnyAccount.set(external, record);
        stats.acceptedPerExternalId[external] = (stats.acceptedPerExternalId[external] ?? 0) + 1;
      }
      active.set(account.accessKey, held + 1);
      stats.maxConcurrent[account.accessKey] = Math.max(stats.maxConcurrent[account.accessKey] ?? 0, held + 1);
      stats.createsAccepted++;
      return record;
    },
    release(record) {
      const key = record.task.accessKey;
      active.set(key, Math.max(0, (active.get(key) ?? 0) - 1));
    },
    find(accessKey, kind, id) {
      const direct = byId.get(id);
      const record = direct?.task.accessKey === accessKey ? direct : byExternal.get(`${accessKey}\n${id}`);
      return record?.task.kind === kind ? record : undefined;
    },
    list(accessKey, kind) {
      // Map order is insertion order: oldest first.
      return [...byId.values()].filter((r) => r.task.accessKey === accessKey && r.task.kind === kind).reverse();
    },
    lookup: (idOrExternal) => byId.get(idOrExternal) ?? byExternalAnyAccount.get(idOrExternal),
    all: () => [...byId.values()],
  };
}
