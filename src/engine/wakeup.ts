/**
 * Wakes idle workers when there is new work, so a created task starts at once instead of at the
 * next poll. In-process now; a PostgreSQL LISTEN/NOTIFY source can call `notify` the same way.
 */
export type Wakeup = {
  notify(): void;
  /**
   * Resolves at the next notify or after `ms`, whichever comes first; at once when a notify came
   * while nobody waited (the loop was busy claiming), so that work is never slept through.
   */
  wait(ms: number): Promise<void>;
};

export function createWakeup(): Wakeup {
  let waiters: Array<() => void> = [];
  let missed = false;
  return {
    notify() {
      const current = waiters;
      waiters = [];
      if (current.length === 0) missed = true;
      for (const w of current) w();
    },
    wait(ms) {
      if (missed) {
        missed = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== done);
          resolve();
        }
        waiters.push(done);
      });
    },
  };
}
