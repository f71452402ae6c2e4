import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import type { RenderContext } from '../../src/providers/provider.ts';
import { planPreviewRender, shotColour } from '../../src/providers/preview/filter-graph.ts';
import { createGuardedImageLoader } from '../../src/providers/preview/guarded-image-loader.ts';
import { createPreviewProvider } from '../../src/providers/preview/preview-provider.ts';
import { tempDir } from '../support/temp-dir.ts';
import { videoRequest } from '../support/video-request.ts';

const execFileAsync = promisify(execFile);
const { ffmpeg, ffprobe } = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
const tmp = tempDir('reelay-preview-frames-');
const fonts = { regular: '/fonts/Sans.ttf', bold: '/fonts/Sans-Bold.ttf' };

// Private targets allowed: the image server is on 127.0.0.1, as in local development.
const preview = createPreviewProvider({ ffmpeg, loadImage: createGuardedImageLoader({ ffprobe, allowPrivate: true }) });
const strictPreview = createPreviewProvider({ ffmpeg, loadImage: createGuardedImageLoader({ ffprobe, allowPrivate: false }) });

function request(overrides: Partial<VideoRequest> = {}): VideoRequest {
  return videoRequest({ prompt: 'A red balloon drifts into a blue sky', duration: 3, ...overrides });
}

let dirs = 0;
function context(overrides: Partial<RenderContext> = {}): RenderContext {
  dirs += 1;
  return { signal: new AbortController().signal, onProgress: () => {}, workDir: path.join(tmp.dir, `render-${dirs}`), ...overrides };
}

let red = '';
let blueUrl = '';
let server: http.Server;
let connections = 0;

beforeAll(async () => {
  const dir = path.join(tmp.dir, 'fixtures');
  mkdirSync(dir, { recursive: true });
  for (const [name, colour] of [['red.png', 'red'], ['blue.png', 'blue']] as const) {
    await execFileAsync(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=${colour}:s=640x360`, '-frames:v', '1', path.join(dir, name)]);
  }
  red = readFileSync(path.join(dir, 'red.png')).toString('base64');
  const blue = readFileSync(path.join(dir, 'blue.png'));
  server = http.createServer((req, res) => {
    if (req.url !== '/blue.png') {
      res.writeHead(404);
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(blue);
  });
  server.on('connection', () => void (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  blueUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/blue.png`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tmp.remove();
});

/** Mean RGB of a 16x16 patch at (x, y) at `seconds`, decoded by ffmpeg as raw RGB. */
async function patchColour(file: string, seconds: number, x = 8, y = 8): Promise<[number, number, number]> {
  const { stdout } = await execFileAsync(
    ffmpeg,
    ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-vf', `crop=16:16:${x}:${y}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { encoding: 'buffer' },
  );
  const sums = [0, 0, 0];
  for (let i = 0; i < stdout.length; i++) sums[i % 3] = (sums[i % 3] ?? 0) + (stdout[i] ?? 0);
  const n = stdout.length / 3;
  return [Math.round((sums[0] ?? 0) / n), Math.round((sums[1] ?? 0) / n), Math.round((sums[2] ?? 0) / n)];
}

const near = (actual: number[], expected: number[], tolerance = 16) => actual.every((c, i) => Math.abs(c - (expected[i] ?? 0)) <= tolerance);
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the preview with first and last frames', () => {
  it('opens on the first frame image and closes on the last frame image, with the shot colour between', async () => {
    const ctx = context();
    const [video] = await preview.render(request({ firstFrame: red, lastFrame: blueUrl }), ctx);
    const file = video?.path ?? '';
    const probe = await probeVideo(ffprobe, file);
    expect(probe).toMatchObject({ width: 1280, height: 720, videoCodec: 'h264' });
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
    for (const t of [0, 0.5, 0.9]) expect(near(await patchColour(file, t), RED), `red at ${t} s`).toBe(true);
    const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(shotColour(1).slice(2 + i, 4 + i), 16));
    expect(near(await patchColour(file, 1.5), [r ?? 0, g ?? 0, b ?? 0]), 'shot colour at 1.5 s').toBe(true);
    for (const t of [2.1, 2.5, 2.9]) expect(near(await patchColour(file, t), BLUE), `blue at ${t} s`).toBe(true);
  });

  it('renders the same request with the same image bytes to the same bytes', async () => {
    const req = request({ firstFrame: red, lastFrame: blueUrl, sound: true });
    const [first] = await preview.render(req, context());
    const [second] = await preview.render(req, context());
    expect(sha256(second?.path ?? '')).toBe(sha256(first?.path ?? ''));
  });

  it('fits a 16:9 image into a 9:16 frame with black bars, never cropping it', async () => {
    const [video] = await preview.render(request({ firstFrame: red, aspectRatio: '9:16' }), context());
    const file = video?.path ?? '';
    expect(near(await patchColour(file, 0.5), [0, 0, 0]), 'black bar above').toBe(true);
    // 640x360 fits as 720x405, centred: rows 437-842.
    expect(near(await patchColour(file, 0.5, 8, 600), RED), 'the image itself').toBe(true);
    expect(near(await patchColour(file, 0.5, 8, 1250), [0, 0, 0]), 'black bar below').toBe(true);
  });

  it('shows the element names (subjects by @name, saved elements by id) on a line of their own', async () => {
    const elements: VideoRequest['elements'] = [
      { kind: 'subject', name: 'fox', description: 'a red fox', imageUrls: ['https://example.com/1.png', 'https://example.com/2.png'] },
      { kind: 'saved', elementId: '829' },
    ];
    const ctx = context();
    const [video] = await preview.render(request({ prompt: '@fox jumps', elements, firstFrame: red }), ctx);
    expect(readFileSync(path.join(ctx.workDir, 'elements.txt'), 'utf8')).toBe('Elements: @fox · element 829');
    const probe = await probeVideo(ffprobe, video?.path ?? '');
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
  });

  it('fails with the input named and the guard reason when a frame URL is private and private targets are refused', async () => {
    const before = connections;
    await expect(strictPreview.render(request({ firstFrame: blueUrl }), context())).rejects.toThrow(/^first frame: url must use https, not http$/);
    const httpsUrl = blueUrl.replace('http:', 'https:');
    await expect(strictPreview.render(request({ firstFrame: red, lastFrame: httpsUrl }), context())).rejects.toThrow(
      /^last frame: url points to a private address 127\.0\.0\.1 \(loopback\); only public addresses may be fetched$/,
    );
    await expect(strictPreview.render(request({ lastFrame: httpsUrl.replace('127.0.0.1', 'localhost') }), context())).rejects.toThrow(
      /^last frame: url host localhost resolves to a private address (127\.0\.0\.1|::1) \(loopback\)/,
    );
    expect(connections).toBe(before);
  });

  it('fails clearly on an image that breaks a Kling rule, and without an image loader', async () => {
    await expect(preview.render(request({ firstFrame: Buffer.from('plain text').toString('base64') }), context())).rejects.toThrow(
      'first frame: is not a JPEG or PNG image',
    );
    const noLoader = createPreviewProvider({ ffmpeg });
    await expect(noLoader.render(request({ firstFrame: red }), context())).rejects.toThrow('first frame: this preview provider was set up without an image loader');
  });

  it('stops before fetching when the render is already aborted', async () => {
    const before = connections;
    await expect(preview.render(request({ firstFrame: blueUrl }), context({ signal: AbortSignal.abort() }))).rejects.toMatchObject({ name: 'AbortError' });
    expect(connections).toBe(before);
  });
});

describe('planPreviewRender with frame images', () => {
  const images = { first: { path: '/w/first-frame.input', format: 'png' as const }, last: { path: '/w/last-frame.input', format: 'jpeg' as const } };
  const graphOf = (args: string[]): string => args[args.indexOf('-filter_complex') + 1] ?? '';

  it('reads each image once through a pipe demuxer, before the graph', () => {
    const { args } = planPreviewRender(request(), { workDir: '/w', fonts, images });
    const inputs = args.slice(0, args.indexOf('-filter_complex'));
    expect(inputs.join(' ')).toContain('-f png_pipe -i file:/w/first-frame.input -f jpeg_pipe -i file:/w/last-frame.input');
  });

  it('overlays the first image on the opening second of shot 1 and the last on the closing second of the last shot', () => {
    const shots = [{ index: 1, prompt: 'a', duration: 2 }, { index: 2, prompt: 'b', duration: 4 }];
    const graph = graphOf(planPreviewRender(request({ multiShot: 'customize', shots, duration: 6 }), { workDir: '/w', fonts, images }).args);
    expect(graph).toContain('[0:v]scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p[firstimg]');
    expect(graph).toContain('[1:v]scale=1280:720');
    expect(graph).toContain("[bg0_0][firstimg]overlay=x=0:y=0:eof_action=repeat:enable='lt(t,1)'");
    expect(graph).toContain("[bg1_0][lastimg]overlay=x=0:y=0:eof_action=repeat:enable='gte(t,3)'");
  });

  it('leaves the graph as it was without images or elements', () => {
    const plain = planPreviewRender(request(), { workDir: '/w', fonts });
    expect(plain.args.filter((a) => a === '-i')).toHaveLength(0);
    expect(graphOf(plain.args)).not.toMatch(/overlay|elements\.txt/);
  });
});
