/**
 * A client's image input (a first or last frame: an http(s) URL or raw base64 without a `data:`
 * prefix) -> a checked local file. URLs are fetched by the caller's `download`, which must be the
 * URL guard (this room sits below webhooks/, so the guard is passed in rather than imported).
 * The file must be what Kling accepts (spec §1.10): JPEG or PNG, at most 10 MB, at least 300 px
 * on the short side, aspect ratio between 1:2.5 and 2.5:1.
 */
import { execFile } from 'node:child_process';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { LIMITS } from '../domain/video-request.ts';

export type InputImageFormat = 'png' | 'jpeg';
export type InputImage = { path: string; format: InputImageFormat; width: number; height: number; bytes: number };

/** Fetches `url` into `file` and resolves to the byte count; rejects with a readable reason. */
export type DownloadToFile = (url: string, file: string, init: { signal?: AbortSignal }) => Promise<number>;

export type LoadImageOptions = {
  workDir: string;
  /** File name stem inside workDir, e.g. `first-frame`. */
  name: string;
  signal: AbortSignal;
};

/** Rejects with an Error whose message reads after the input's name ("first frame: ..."). */
export type InputImageLoader = (value: string, options: LoadImageOptions) => Promise<InputImage>;

export const INPUT_IMAGE_RULES = {
  maxBytes: LIMITS.frameBytes,
  minShortSide: 300,
  maxAspect: 2.5,
} as const;

const execFileAsync = promisify(execFile);
const URL_VALUE = /^https?:\/\//i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const DEMUXER: Record<InputImageFormat, string> = { png: 'png_pipe', jpeg: 'jpeg_pipe' };
const CODEC: Record<InputImageFormat, string> = { png: 'png', jpeg: 'mjpeg' };

const probeSchema = z.object({
  streams: z.array(z.object({ codec_name: z.string().optional(), width: z.number().int().optional(), height: z.number().int().optional() })).default([]),
});

export function imageFormatOf(head: Buffer): InputImageFormat | null {
  if (head.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) return 'png';
  if (head.subarray(0, JPEG_MAGIC.length).equals(JPEG_MAGIC)) return 'jpeg';
  return null;
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1) ?? 'no output';
}

/** Width and height as ffprobe decodes them; the pipe demuxer keeps `%` in a path literal. */
async function probeImage(ffprobe: string, file: string, format: InputImageFormat, signal: AbortSignal): Promise<{ width: number; height: number }> {
  const args = ['-v', 'error', '-f', DEMUXER[format], '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', `file:${file}`];
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(ffprobe, args, { encoding: 'utf8', maxBuffer: 1024 * 1024, killSignal: 'SIGKILL', signal }));
  } catch (e) {
    if (signal.aborted) throw e;
    const stderr = typeof e === 'object' && e !== null && 'stderr' in e ? String(e.stderr) : '';
    throw new Error(`is not a readable ${format.toUpperCase()} image (${lastLine(stderr || (e as Error).message)})`, { cause: e });
  }
  const parsed = probeSchema.safeParse(JSON.parse(stdout || '{}'));
  const stream = parsed.success ? parsed.data.streams[0] : undefined;
  if (!stream?.width || !stream.height || stream.codec_name !== CODEC[format]) {
    throw new Error(`is not a readable ${format.toUpperCase()} image`);
  }
  return { width: stream.width, height: stream.height };
}

function checkSize(width: number, height: number): void {
  const { minShortSide, maxAspect } = INPUT_IMAGE_RULES;
  if (Math.min(width, height) < minShortSide) {
    throw new Error(`is ${width}x${height} px; the short side must be at least ${minShortSide} px`);
  }
  const ratio = Math.max(width, height) / Math.min(width, height);
  if (ratio > maxAspect) {
    throw new Error(`is ${width}x${height} px; its aspect ratio must be between 1:${maxAspect} and ${maxAspect}:1`);
  }
}

async function writeBase64(value: string, file: string): Promise<number> {
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact)) {
    throw new Error('must be an http(s) URL or raw base64 without a data: prefix');
  }
  // Checked before decoding so an oversized value never becomes a second large buffer.
  if (Math.floor((compact.length * 3) / 4) - (compact.match(/=+$/)?.[0].length ?? 0) > INPUT_IMAGE_RULES.maxBytes) {
    throw new Error(`must be at most ${INPUT_IMAGE_RULES.maxBytes / (1024 * 1024)} MB (decoded)`);
  }
  const bytes = Buffer.from(compact, 'base64');
  await writeFile(file, bytes);
  return bytes.length;
}

export function createInputImageLoader(deps: { ffprobe: string; download: DownloadToFile }): InputImageLoader {
  return async (value, options) => {
    const raw = path.join(options.workDir, `${options.name}.input`);
    const bytes = URL_VALUE.test(value) ? await deps.download(value, raw, { signal: options.signal }) : await writeBase64(value, raw);
    if (bytes === 0) throw new Error('is empty');
    if (bytes > INPUT_IMAGE_RULES.maxBytes) throw new Error(`must be at most ${INPUT_IMAGE_RULES.maxBytes / (1024 * 1024)} MB`);
    const format = imageFormatOf(await readHead(raw));
    if (format === null) throw new Error('is not a JPEG or PNG image');
    const { width, height } = await probeImage(deps.ffprobe, raw, format, options.signal);
    checkSize(width, height);
    return { path: raw, format, width, height, bytes };
  };
}
