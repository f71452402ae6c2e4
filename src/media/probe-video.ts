/** What a video file is: the facts Reelay checks and reports (duration, size), from ffprobe or, for MP4, in process. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';
import { probeMp4 } from './probe-mp4.ts';

export type VideoProbe = {
  durationSeconds: number;
  width: number;
  height: number;
  videoCodec: string;
  pixelFormat: string;
  hasAudio: boolean;
  audioCodec: string | null;
  formatName: string;
};

const execFileAsync = promisify(execFile);

const streamSchema = z.object({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  pix_fmt: z.string().optional(),
  duration: z.string().optional(),
  disposition: z.object({ attached_pic: z.number().optional() }).optional(),
});

const probeSchema = z.object({
  streams: z.array(streamSchema).default([]),
  format: z.object({ format_name: z.string(), duration: z.string().optional() }),
});

type ProbedStream = z.infer<typeof streamSchema>;

/**
 * Containers ffprobe "opens" that are not videos: single images come as `png_pipe`, `image2`...,
 * and text named `.ans` / `.txt` can come as an ANSI-art `tty` "video".
 */
function isStillOrTextFormat(formatName: string): boolean {
  return formatName.split(',').some((f) => f.endsWith('_pipe') || f === 'image2' || f === 'tty');
}

function positiveNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.at(-1) ?? 'no output';
}

async function runFfprobe(ffprobe: string, file: string, signal: AbortSignal | undefined): Promise<string> {
  // `file:` keeps a name like `http:x` or `-x` a local path, never a protocol or an option.
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-i', `file:${file}`];
  try {
    const { stdout } = await execFileAsync(ffprobe, args, {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
      killSignal: 'SIGKILL',
      ...(signal ? { signal } : {}),
    });
    return stdout;
  } catch (e) {
    if (signal?.aborted) throw e;
    const stderr = typeof e === 'object' && e !== null && 'stderr' in e ? String(e.stderr) : '';
    throw new Error(`not a video: ${file}: ffprobe failed: ${lastLine(stderr || (e as Error).message)}`, { cause: e });
  }
}

export type ProbeVideoOptions = {
  /**
   * The in-process MP4 probe derives the pixel format only for H.264 (from its SPS) and says
   * 'unknown' otherwise; true asks ffprobe whenever it would say 'unknown'.
   */
  exactPixelFormat?: boolean;
};

/**
 * Probes `file`; throws an Error naming the file when it is not a playable video. MP4 / MOV are
 * read in process (probe-mp4.ts); anything else, or an MP4 that probe declines, goes to ffprobe.
 */
export async function probeVideo(ffprobe: string, file: string, signal?: AbortSignal, options: ProbeVideoOptions = {}): Promise<VideoProbe> {
  const inProcess = await probeMp4(file, signal);
  if (inProcess !== null && !(options.exactPixelFormat === true && inProcess.pixelFormat === 'unknown')) return inProcess;
  return probeWithFfprobe(ffprobe, file, signal);
}

/** What ffprobe alone says about `file`; throws an Error naming the file when it is not a playable video. */
export async function probeWithFfprobe(ffprobe: string, file: string, signal?: AbortSignal): Promise<VideoProbe> {
  const stdout = await runFfprobe(ffprobe, file, signal);
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new Error(`not a video: ${file}: ffprobe printed no JSON`);
  }
  const parsed = probeSchema.safeParse(json);
  if (!parsed.success) throw new Error(`not a video: ${file}: unexpected ffprobe output (${parsed.error.message})`);
  const { streams, format } = parsed.data;
  if (isStillOrTextFormat(format.format_name)) {
    throw new Error(`not a video: ${file}: ffprobe reads it as ${format.format_name}`);
  }
  const video = streams.find((s: ProbedStream) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!video) throw new Error(`not a video: ${file}: it has no video stream`);
  const { width, height, codec_name: videoCodec } = video;
  if (width === undefined || height === undefined || width <= 0 || height <= 0 || videoCodec === undefined) {
    throw new Error(`not a video: ${file}: its video stream has no size or codec`);
  }
  const durationSeconds = positiveNumber(format.duration) ?? positiveNumber(video.duration);
  if (durationSeconds === null) throw new Error(`not a video: ${file}: it has no duration`);
  const audio = streams.find((s: ProbedStream) => s.codec_type === 'audio');
  return {
    durationSeconds,
    width,
    height,
    videoCodec,
    pixelFormat: video.pix_fmt ?? 'unknown',
    hasAudio: audio !== undefined,
    audioCodec: audio?.codec_name ?? null,
    formatName: format.format_name,
  };
}
