/**
 * Server and load generator on different cores (issue 8): the server under test runs on core 0,
 * the load generator on core 1, with taskset when the machine has it (util-linux).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** `command args` pinned to `core` (unpinned when taskset is missing or the machine has one core). */
export function pinned(core: number, command: string, args: string[]): { command: string; args: string[] } {
  if (!hasTaskset || os.cpus().length < 2) return { command, args };
  return { command: 'taskset', args: ['-c', String(core), command, ...args] };
}

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;
export const pinning = hasTaskset && os.cpus().length >= 2 ? `server on core ${SERVER_CORE}, load generator and harness on core ${LOAD_CORE} (taskset)` : 'unpinned (no taskset or one core)';

/**
 * Moves this process (every thread; its later children inherit it) to the load core, so the
 * harness itself — the Kling simulator and the event-stream clients of the engine benchmark run in
 * it — never takes the server's core.
 */
export function pinSelfToLoadCore(): void {
  if (!hasTaskset || os.cpus().length < 2) return;
  execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
}
