/**
 * One task's server-sent events: an event per change of status or progress (or a cancel request),
 * named by the Reelay status, carrying the task as its dialect's GET shows it; closed after the
 * terminal event. Woken by the task-change notifier, and a slow poll besides, so a change made by
 * another process (no notifier reaches it until LISTEN/NOTIFY, issue 7) is seen all the same. The
 * store is the truth: every wake-up re-reads the task, a notification only says "look".
 */
import type { SSEStreamingApi } from 'hono/streaming';
import { isTerminal, type Task } from '../domain/task.ts';
import type { TaskEvents } from '../engine/task-events.ts';
import type { TaskRepository } from '../store/task-repository.ts';

export type TaskEventTiming = {
  /** A comment line this often keeps proxies from closing a quiet stream (15 s by default). */
  keepAliveMs: number;
  /** The re-read when no notification came (2 s by default). */
  pollMs: number;
};

export type TaskEventStreamDeps = {
  tasks: Pick<TaskRepository, 'get'>;
  events: TaskEvents;
  timing: TaskEventTiming;
  render: (task: Task) => unknown;
};

/** What makes a new event: the status words and progress a client shows, and whether a cancel is pending. */
const fingerprint = (task: Task) => `${task.status}:${task.progress}:${task.cancelRequestedAt !== null}`;

export async function streamTaskEvents(stream: SSEStreamingApi, first: Task, deps: TaskEventStreamDeps): Promise<void> {
  const { keepAliveMs, pollMs } = deps.timing;
  let sent = 0;
  let lastSeen = '';
  let lastWriteAt = Date.now();
  const send = async (task: Task) => {
    lastSeen = fingerprint(task);
    sent += 1;
    await stream.writeSSE({ event: task.status, id: String(sent), data: JSON.stringify(deps.render(task)) });
    lastWriteAt = Date.now();
  };

  await send(first);
  if (isTerminal(first.status)) return;

  let woken = false;
  let wake: (() => void) | null = null;
  const rouse = () => {
    woken = true;
    wake?.();
  };
  const unsubscribe = deps.events.subscribe(first.id, rouse);
  stream.onAbort(rouse);
  try {
    for (;;) {
      await sleep(Math.min(pollMs, Math.max(0, keepAliveMs - (Date.now() - lastWriteAt))));
      if (stream.aborted || deps.events.closed) return;
      if (Date.now() - lastWriteAt >= keepAliveMs) {
        await stream.write(': keep-alive\n\n');
        lastWriteAt = Date.now();
      }
      const task = await deps.tasks.get(first.id);
      // Deleted meanwhile (only a finished task can be): nothing more will happen to it.
      if (!task) return;
      if (fingerprint(task) !== lastSeen) await send(task);
      if (isTerminal(task.status)) return;
    }
  } finally {
    unsubscribe();
  }

  /** Until a notification (or one that came while the task was being read), or `ms`. */
  function sleep(ms: number): Promise<void> {
    if (woken) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        woken = false;
        resolve();
      }
      wake = done;
    });
  }
}
