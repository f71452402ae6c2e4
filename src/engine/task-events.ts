/**
 * Tells whoever watches a task (a server-sent event stream) that it may have changed. A
 * notification carries only the task id, never the task: a listener re-reads the store, which is
 * the truth. That is also all a PostgreSQL LISTEN/NOTIFY source would carry (issue 7): it would
 * call `notify` for the changes other instances make. In-process and best effort, so listeners
 * also poll slowly and still see a change nobody notified.
 */
export type TaskEvents = {
  notify(taskId: string): void;
  /** Every watched task may have changed (a missed cross-instance notification): all listeners look once. */
  notifyAll(): void;
  /** Calls `listener` on every notify of `taskId` (and once at close) until the returned function is called. */
  subscribe(taskId: string, listener: () => void): () => void;
  /** Calls `listener` with the id on every notify of any task (a live task list), and once at close (no id). */
  subscribeAll(listener: (taskId: string | null) => void): () => void;
  /** The server is closing: every listener is called once more and must stop; later subscribers at once. */
  close(): void;
  readonly closed: boolean;
};

export function createTaskEvents(): TaskEvents {
  const listeners = new Map<string, Set<() => void>>();
  const anyListeners = new Set<(taskId: string | null) => void>();
  let closed = false;

  const call = (all: Iterable<() => void>) => {
    // Copied first: a listener may unsubscribe (or subscribe) while the others are called.
    for (const listener of [...all]) {
      try {
        listener();
      } catch {
        // A listener only wakes its own loop; one that throws must not keep the others asleep.
      }
    }
  };

  return {
    notify(taskId) {
      const set = listeners.get(taskId);
      if (set) call(set);
      if (anyListeners.size > 0) call([...anyListeners].map((listener) => () => listener(taskId)));
    },
    notifyAll() {
      call([...listeners.values()].flatMap((set) => [...set]));
      call([...anyListeners].map((listener) => () => listener(null)));
    },
    subscribeAll(listener) {
      if (closed) {
        queueMicrotask(() => listener(null));
        return () => undefined;
      }
      anyListeners.add(listener);
      return () => {
        anyListeners.delete(listener);
      };
    },
    subscribe(taskId, listener) {
      if (closed) {
        queueMicrotask(listener);
        return () => undefined;
      }
      let set = listeners.get(taskId);
      if (!set) {
        set = new Set();
        listeners.set(taskId, set);
      }
      const own = set;
      own.add(listener);
      return () => {
        own.delete(listener);
        if (own.size === 0 && listeners.get(taskId) === own) listeners.delete(taskId);
      };
    },
    close() {
      closed = true;
      const all = [...listeners.values()].flatMap((set) => [...set]);
      const any = [...anyListeners].map((listener) => () => listener(null));
      listeners.clear();
      anyListeners.clear();
      call([...all, ...any]);
    },
    get closed() {
      return closed;
    },
  };
}
