import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import type { RenderContext } from '../../src/providers/provider.ts';
import { shotColour } from '../../src/providers/preview/filter-graph.ts';
import { createPreviewProvider } from '../../src/providers/preview/preview-provider.ts';
import { tempDir } from '../support/temp-dir.ts';
import { videoRequest } from '../support/video-request.ts';

const execFileAsync = promisify(execFile);
const { ffmpeg, ffprobe } = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
const preview = createPreviewProvider({ ffmpeg });

function request(overrides: Partial<VideoRequest> = {}): VideoRequest {
  return videoRequest({ prompt: 'A red fox runs through fresh snow at dawn', duration: 3, ...overrides });
}

const tmp = tempDir('reelay-preview-');
afterAll(() => tmp.remove());
let dirs = 0;

function context(overrides: Partial<RenderContext> = {}): RenderContext {
  dirs += 1;
  return { signal: new AbortController().signal, onProgress: () => {}, workDir: path.join(tmp.dir, `render-${dirs}`), ...overrides };
}

async function renderOne(req: VideoRequest, ctx = context()): Promise<{ path: string; watermarkPath?: string | undefined }> {
  const videos = await preview.render(req, ctx);
  expect(videos).toHaveLength(1);
  return videos[0] as { path: string; watermarkPath?: string | undefined };
}

/** Mean RGB of a 16x16 patch near the top-left corner (no text there) at `seconds`. */
async function cornerColour(file: string, seconds: number): Promise<[number, number, number]> {
  const { stdout } = await execFileAsync(
    ffmpeg,
    ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-vf', 'crop=16:16:8:8', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { encoding: 'buffer' },
  );
  const sums = [0, 0, 0];
  for (let i = 0; i < stdout.length; i++) sums[i % 3] = (sums[i % 3] ?? 0) + (stdout[i] ?? 0);
  const n = stdout.length / 3;
  return [Math.round((sums[0] ?? 0) / n), Math.round((sums[1] ?? 0) / n), Math.round((sums[2] ?? 0) / n)];
}

function hexToRgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.replace(/^0x/, ''), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the preview provider', () => {
  it('renders std 16:9 with sound as 1280x720 H.264 yuv420p with AAC, exact to 0.1 s, reporting progress up to 100', async () => {
    const progress: number[] = [];
    const video = await renderOne(request({ duration: 5, sound: true }), context({ onProgress: (p) => progress.push(p) }));
    const probe = await probeVideo(ffprobe, video.path);
    expect(probe).toMatchObject({ width: 1280, height: 720, videoCodec: 'h264', pixelFormat: 'yuv420p', hasAudio: true, audioCodec: 'aac' });
    expect(Math.abs(probe.durationSeconds - 5)).toBeLessThanOrEqual(0.1);
    expect(video.watermarkPath).toBeUndefined();
    expect(path.dirname(video.path)).toMatch(/render-\d+$/);
    expect(progress.at(-1)).toBe(100);
    expect(progress.filter((p) => p === 100)).toHaveLength(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1] ?? -1);
    expect(progress.length).toBeGreaterThan(1);
  });

  it('has no audio stream at all when sound is off', async () => {
    const probe = await probeVideo(ffprobe, (await renderOne(request({ sound: false }))).path);
    expect(probe.hasAudio).toBe(false);
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
  });

  it('renders a pro 9:16 multi-shot request as 1080x1920 with one background colour per shot', async () => {
    const shots = [
      { index: 1, prompt: 'Wide shot of a harbour at dusk', duration: 2 },
      { index: 2, prompt: 'Close-up of a lighthouse lamp', duration: 3 },
      { index: 3, prompt: 'A gull takes off', duration: 1 },
    ];
    const req = request({ multiShot: 'customize', shots, prompt: '', duration: 6, tier: 'pro', aspectRatio: '9:16', sound: true });
    const video = await renderOne(req);
    const probe = await probeVideo(ffprobe, video.path);
    expect(probe).toMatchObject({ width: 1080, height: 1920, hasAudio: true });
    expect(Math.abs(probe.durationSeconds - 6)).toBeLessThanOrEqual(0.1);
    const colours = await Promise.all([1, 3.5, 5.5].map((t) => cornerColour(video.path, t)));
    expect(new Set(colours.map((c) => c.join(','))).size).toBe(3);
    colours.forEach((colour, i) => {
      const expected = hexToRgb(shotColour(i + 1));
      colour.forEach((channel, c) => expect(Math.abs(channel - (expected[c] ?? 0))).toBeLessThanOrEqual(12));
    });
  });

  it('renders the same request to the same bytes', async () => {
    const req = request({ duration: 3, sound: true, prompt: 'Determinism check' });
    const first = await renderOne(req);
    const second = await renderOne(req);
    expect(sha256(second.path)).toBe(sha256(first.path));
  });

  it('writes a watermarked copy from the same run when asked, and both are valid videos', async () => {
    const video = await renderOne(request({ watermark: true, sound: true }));
    expect(video.watermarkPath).toBeDefined();
    const clean = await probeVideo(ffprobe, video.path);
    const marked = await probeVideo(ffprobe, video.watermarkPath ?? '');
    for (const probe of [clean, marked]) {
      expect(probe).toMatchObject({ width: 1280, height: 720, videoCodec: 'h264', hasAudio: true });
      expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    }
    expect(sha256(video.watermarkPath ?? '')).not.toBe(sha256(video.path));
  });

  it('renders a prompt full of quotes, colons, %, backslashes, newlines, emoji and CJK', async () => {
    const prompt = `It's "quoted": 100% done %{pts} \\n \\ back\\slash\nnew line\r\n\ttab [x];y,z 'q' 🐱‍👤🎬 日本語のテキスト 中文 한국어 ${'ü'.repeat(300)}`;
    const req = request({ prompt, multiShot: 'customize', shots: [{ index: 1, prompt, duration: 1 }, { index: 2, prompt: `%{eif:1:d}:\\'`, duration: 2 }] });
    const video = await renderOne(req);
    const probe = await probeVideo(ffprobe, video.path);
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    const text = readFileSync(path.join(path.dirname(video.path), 'shot-1.txt'), 'utf8');
    expect(text).toContain('"quoted": 100% done %{pts}');
    expect(text).toContain('日本語');
    expect(text.endsWith('…')).toBe(true);
  });

  it('kills ffmpeg and rejects with an AbortError when its signal is aborted', async () => {
    const controller = new AbortController();
    let started = 0;
    const ctx = context({ signal: controller.signal, onProgress: () => void controller.abort() });
    started = Date.now();
    const rendering = preview.render(request({ duration: 15, tier: 'pro', sound: true }), ctx);
    await expect(rendering).rejects.toMatchObject({ name: 'AbortError' });
    // A 1080p 15 s render takes seconds; an abort at the first progress line ends it at once.
    expect(Date.now() - started).toBeLessThan(3000);
    const output = path.join(ctx.workDir, 'preview.mp4');
    if (existsSync(output)) await expect(probeVideo(ffprobe, output)).rejects.toThrow(/not a video/);
  });

  it('rejects at once when the signal is already aborted', async () => {
    await expect(preview.render(request(), context({ signal: AbortSignal.abort() }))).rejects.toMatchObject({ name: 'AbortError' });
  });

  it("fails with the tail of ffmpeg's stderr when ffmpeg fails", async () => {
    const ctx = context();
    // A directory where the output file should go: ffmpeg cannot open it for writing.
    mkdirSync(path.join(ctx.workDir, 'preview.mp4'), { recursive: true });
    await expect(preview.render(request(), ctx)).rejects.toThrow(/ffmpeg exited with code \d+:\n[\s\S]*preview\.mp4/);
  });

  it('refuses a font file that does not exist instead of letting ffmpeg pick another', () => {
    expect(() => createPreviewProvider({ ffmpeg, fontFile: path.join(tmp.dir, 'no-such-font.ttf') })).toThrow(/font .*no-such-font\.ttf/);
  });

  it('fails clearly when the ffmpeg binary cannot be started', async () => {
    const missing = createPreviewProvider({ ffmpeg: path.join(tmp.dir, 'no-ffmpeg') });
    await expect(missing.render(request(), context())).rejects.toThrow(/could not run ffmpeg .*no-ffmpeg.*ENOENT/);
  });
});
