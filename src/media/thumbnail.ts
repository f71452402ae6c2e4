/**
 * A JPEG thumbnail of a stored MP4 (OpenAI's `GET /v1/videos/{id}/content?variant=thumbnail`).
 * The video is copied to a temp file first: an MP4 whose index (moov) sits at the end cannot be
 * read from a pipe, and a temp file works the same for every storage back end.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Storage } from './storage.ts';

export type Thumbnailer = (key: string) => Promise<Buffer>;

export type ThumbnailOptions = {
  ffmpeg: string;
  storage: Storage;
  /** Where the temp copies go (default: the OS temp dir). */
  workDir?: string;
  /** ffmpeg is killed after this long (default 30 s). */
  timeoutMs?: number;
  /** Longest side of the JPEG in pixels (default 720). */
  maxSide?: number;
};

// 1 s in skips a fade-in from black; a clip shorter than that gets its first frame instead.
const SEEK_SECONDS = [1, 0] as const;
const MAX_JPEG_BYTES = 16 * 1024 * 1024;

export function createThumbnailer(options: ThumbnailOptions): Thumbnailer {
  const { ffmpeg, storage, timeoutMs = 30_000, maxSide = 720 } = options;
  return async (key) => {
    const base = options.workDir ?? os.tmpdir();
    await mkdir(base, { recursive: true });
    const dir = await mkdtemp(path.join(base, 'reelay-thumb-'));
    try {
      const file = path.join(dir, 'video.mp4');
      await pipeline(storage.read(key), createWriteStream(file));
      for (const seek of SEEK_SECONDS) {
        const jpeg = await extractFrame(ffmpeg, file, seek, maxSide, timeoutMs);
        if (jpeg.length > 0) return jpeg;
      }
      throw new Error(`ffmpeg found no frame in ${key}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

function extractFrame(ffmpeg: string, file: string, seek: number, maxSide: number, timeoutMs: number): Promise<Buffer> {
  const scale = `scale='if(gt(iw,ih),min(${maxSide},iw),-2)':'if(gt(iw,ih),-2,min(${maxSide},ih))'`;
  // `file:` keeps the path a path, never a protocol or an option.
  const args = ['-v', 'error', '-nostdin', '-ss', String(seek), '-i', `file:${file}`, '-frames:v', '1', '-vf', scale, '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1'];
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_JPEG_BYTES) child.kill('SIGKILL');
      else chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not run ffmpeg (${ffmpeg}): ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(Buffer.concat(chunks));
      const why = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new Error(`ffmpeg ${why} making a thumbnail: ${stderr.trim().split('\n').at(-1) ?? ''}`));
    });
  });
}
