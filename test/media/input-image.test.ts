import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/domain/video-request.ts';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { createInputImageLoader, imageFormatOf, type InputImageLoader } from '../../src/media/input-image.ts';
import { createUrlGuard, type UrlGuard } from '../../src/webhooks/url-guard.ts';
import { tempDir } from '../support/temp-dir.ts';

const execFileAsync = promisify(execFile);
const { ffmpeg, ffprobe } = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
const tmp = tempDir('reelay-input-image-');
const fixtures = path.join(tmp.dir, 'fixtures');

// Even sizes only: the bundled ffmpeg rounds an odd lavfi size down to even.
async function makeImage(name: string, colour: string, size: string): Promise<Buffer> {
  const file = path.join(fixtures, name);
  await execFileAsync(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=${colour}:s=${size}`, '-frames:v', '1', file]);
  return readFileSync(file);
}

let images: Record<'png' | 'jpeg' | 'small' | 'wide' | 'tall' | 'bmp', Buffer>;
let server: http.Server;
let connections = 0;
let base = '';
let open: UrlGuard;
let strict: UrlGuard;
let loadOpen: InputImageLoader;
let loadStrict: InputImageLoader;
let runs = 0;

const options = () => {
  runs += 1;
  return { workDir: tmp.dir, name: `input-${runs}`, signal: new AbortController().signal };
};

beforeAll(async () => {
  mkdirSync(fixtures, { recursive: true });
  images = {
    png: await makeImage('red.png', 'red', '640x360'),
    jpeg: await makeImage('blue.jpg', 'blue', '480x640'),
    small: await makeImage('small.png', 'green', '298x400'),
    wide: await makeImage('wide.png', 'green', '1000x300'),
    tall: await makeImage('tall.png', 'green', '300x752'),
    bmp: await makeImage('red.bmp', 'red', '640x360'),
  };
  server = http.createServer((req, res) => {
    const served: Record<string, Buffer> = { '/red.png': images.png, '/blue.jpg': images.jpeg };
    const body = served[req.url ?? ''];
    if (!body) {
      res.writeHead(404);
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(body);
  });
  server.on('connection', () => void (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  open = createUrlGuard({ allowPrivate: true, maxBytes: LIMITS.frameBytes, timeoutMs: 5000 });
  strict = createUrlGuard({ allowPrivate: false, maxBytes: LIMITS.frameBytes, timeoutMs: 5000 });
  loadOpen = createInputImageLoader({ ffprobe, download: open.fetchToFile });
  loadStrict = createInputImageLoader({ ffprobe, download: strict.fetchToFile });
});

afterAll(async () => {
  await open.close();
  await strict.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tmp.remove();
});

describe('input images', () => {
  it('tells PNG and JPEG apart by their magic bytes', () => {
    expect(imageFormatOf(images.png)).toBe('png');
    expect(imageFormatOf(images.jpeg)).toBe('jpeg');
    expect(imageFormatOf(images.bmp)).toBeNull();
    expect(imageFormatOf(Buffer.from('<html>'))).toBeNull();
  });

  it('decodes raw base64 to a PNG file and reports its size', async () => {
    const image = await loadOpen(images.png.toString('base64'), options());
    expect(image).toMatchObject({ format: 'png', width: 640, height: 360, bytes: images.png.length });
    expect(readFileSync(image.path).equals(images.png)).toBe(true);
  });

  it('accepts base64 broken into MIME lines', async () => {
    const wrapped = images.jpeg.toString('base64').replace(/(.{76})/g, '$1\r\n');
    expect(await loadOpen(wrapped, options())).toMatchObject({ format: 'jpeg', width: 480, height: 640 });
  });

  it('fetches a URL through the guard', async () => {
    const image = await loadOpen(`${base}/blue.jpg`, options());
    expect(image).toMatchObject({ format: 'jpeg', width: 480, height: 640, bytes: images.jpeg.length });
  });

  it('passes the guard refusal on for a private URL when private targets are not allowed, without connecting', async () => {
    const before = connections;
    await expect(loadStrict(`${base}/red.png`, options())).rejects.toThrow('url must use https, not http');
    const httpsUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/red.png`;
    await expect(loadStrict(httpsUrl, options())).rejects.toThrow(/^url points to a private address 127\.0\.0\.1 \(loopback\)/);
    await expect(loadStrict(httpsUrl.replace('127.0.0.1', 'localhost'), options())).rejects.toThrow(/^url host localhost resolves to a private address/);
    expect(connections).toBe(before);
  });

  it('reports a missing image as the HTTP status', async () => {
    await expect(loadOpen(`${base}/nothing.png`, options())).rejects.toThrow('the server answered HTTP 404');
  });

  it('refuses a file that is neither JPEG nor PNG', async () => {
    await expect(loadOpen(images.bmp.toString('base64'), options())).rejects.toThrow('is not a JPEG or PNG image');
    await expect(loadOpen(Buffer.from('GIF89a fake').toString('base64'), options())).rejects.toThrow('is not a JPEG or PNG image');
  });

  it('refuses a PNG signature followed by garbage', async () => {
    const broken = Buffer.concat([images.png.subarray(0, 8), Buffer.from('this is not a png at all, just bytes')]);
    await expect(loadOpen(broken.toString('base64'), options())).rejects.toThrow(/^is not a readable PNG image/);
  });

  it('refuses an image under 300 px on its short side', async () => {
    await expect(loadOpen(images.small.toString('base64'), options())).rejects.toThrow('is 298x400 px; the short side must be at least 300 px');
  });

  it('refuses an aspect ratio beyond 2.5:1 either way', async () => {
    await expect(loadOpen(images.wide.toString('base64'), options())).rejects.toThrow('is 1000x300 px; its aspect ratio must be between 1:2.5 and 2.5:1');
    await expect(loadOpen(images.tall.toString('base64'), options())).rejects.toThrow('is 300x752 px; its aspect ratio must be between 1:2.5 and 2.5:1');
  });

  it('refuses a data: URI, text that is not base64, and empty input', async () => {
    const rule = 'must be an http(s) URL or raw base64 without a data: prefix';
    await expect(loadOpen(`data:image/png;base64,${images.png.toString('base64')}`, options())).rejects.toThrow(rule);
    await expect(loadOpen('not base64!', options())).rejects.toThrow(rule);
    await expect(loadOpen('', options())).rejects.toThrow(rule);
  });

  it('refuses base64 over 10 MiB decoded before decoding it', async () => {
    const big = 'A'.repeat(Math.ceil(((LIMITS.frameBytes + 3) * 4) / 3 / 4) * 4);
    await expect(loadOpen(big, options())).rejects.toThrow('must be at most 10 MB (decoded)');
  });
});
