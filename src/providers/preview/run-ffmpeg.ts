/**
 * Runs ffmpeg without a shell, turns its `-progress pipe:1` report into 0-99 percent, kills it on
 * abort, and on failure rejects with the tail of its stderr (the only place ffmpeg says why).
 */
import { spawn } from 'node:child_process';

export type RunFfmpegOptions = {
  signal: AbortSignal;
  /** Length of the output, to turn ffmpeg's out_time into a percentage. */
  totalSeconds: number;
  onProgress(percent: number): void;
};

const STDERR_KEEP_CHARS = 8192;
const STDERR_REPORT_LINES = 8;

/**
 * Percent done from one `-progress` line, or null when the line is not a usable time. Both keys
 * are microseconds: `out_time_ms` is misnamed, and old builds only print that one.
 */
export function progressFromLine(line: string, totalSeconds: number): number | null {
  const match = /^out_time_(?:us|ms)=(-?\d+)\s*$/.exec(line);
  if (!match || totalSeconds <= 0) return null;
  const micros = Number(match[1]);
  if (!Number.isFinite(micros) || micros < 0) return null;
  // 100 is kept for the caller to report once the files are complete.
  return Math.min(99, Math.floor((micros / (totalSeconds * 1e6)) * 100));
}

export function abortError(reason: unknown): Error {
  const error = new Error('the render was aborted', { cause: reason });
  error.name = 'AbortError';
  return error;
}

function tailLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .slice(-STDERR_REPORT_LINES)
    .join('\n');
}

export function runFfmpeg(ffmpeg: string, args: readonly string[], opts: RunFfmpegOptions): Promise<void> {
  const { signal } = opts;
  if (signal.aborted) return Promise.reject(abortError(signal.reason));
  return new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stderr = '';
    let pending = '';
    let lastPercent = -1;
    let spawnError: Error | null = null;

    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const percent = progressFromLine(line, opts.totalSeconds);
        if (percent !== null && percent > lastPercent) {
          lastPercent = percent;
          opts.onProgress(percent);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
    });
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return reject(abortError(signal.reason));
      if (spawnError !== null) return reject(new Error(`could not run ffmpeg (${ffmpeg}): ${spawnError.message}`, { cause: spawnError }));
      if (code === 0) return resolve();
      const how = killedBy !== null ? `was killed by ${killedBy}` : `exited with code ${code}`;
      const tail = tailLines(stderr);
      reject(new Error(`ffmpeg ${how}${tail !== '' ? `:\n${tail}` : ' without a message'}`));
    });
  });
}
