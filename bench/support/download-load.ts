/**
 * Runs download-runner.ts (large GETs, whole or Range) in its own process pinned to the load core,
 * as load.ts does for autocannon, and reads its result.
 */
import path from 'node:path';
import { LOAD_CORE } from './pinning.ts';
import { runPinnedJson } from './pinned-json.ts';

export type DownloadOptions = {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Range header values sent in turn (absent: whole-file GETs). */
  ranges?: string[];
  /** The body length each answer must have (a 2xx of another length is counted as wrong). */
  expectBytes: number;
};

export type DownloadResult = { requests: number; bytes: number; bytesPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number; errors: number; wrongLength: number };

const RUNNER = path.resolve(import.meta.dirname, 'download-runner.ts');

export function runDownloads(o: DownloadOptions): Promise<DownloadResult> {
  return runPinnedJson<DownloadResult>(LOAD_CORE, RUNNER, o, 'the download load generator');
}
