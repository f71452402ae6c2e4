import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskStorage } from '../../src/media/disk-storage.ts';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { createThumbnailer } from '../../src/media/thumbnail.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);

describe('thumbnail of a stored video', () => {
  const tmp = tempDir();
  const { ffmpeg } = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
  const storage = createDiskStorage(path.join(tmp.dir, 'media'));
  const thumbnail = createThumbnailer({ ffmpeg, storage, workDir: tmp.dir, maxSide: 320 });

  async function store(key: string, seconds: number, size: string) {
    const file = path.join(tmp.dir, `${seconds}.mp4`);
    await run(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${seconds}`, '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', file]);
    await storage.putFile(key, file);
  }

  beforeAll(async () => {
    await store('tasks/a/video-1.mp4', 2, '1280x720');
    await store('tasks/b/video-1.mp4', 0.4, '720x1280');
  });
  afterAll(() => tmp.remove());

  const jpegSize = (jpeg: Buffer): { width: number; height: number } => {
    // Walk the JPEG markers to the start-of-frame, which holds the size.
    let at = 2;
    while (at < jpeg.length) {
      const marker = jpeg[at + 1] as number;
      const length = jpeg.readUInt16BE(at + 2);
      if (marker >= 0xc0 && marker <= 0xc3) return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
      at += 2 + length;
    }
    throw new Error('no start-of-frame');
  };

  it('makes a JPEG no larger than maxSide on its long side, keeping the aspect', async () => {
    const jpeg = await thumbnail('tasks/a/video-1.mp4');
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(jpegSize(jpeg)).toEqual({ width: 320, height: 180 });
  });

  it('falls back to the first frame of a clip shorter than the seek point', async () => {
    const jpeg = await thumbnail('tasks/b/video-1.mp4');
    expect(jpegSize(jpeg)).toEqual({ width: 180, height: 320 });
  });

  it('fails with an error for a key with no video', async () => {
    await expect(thumbnail('tasks/none/video-1.mp4')).rejects.toThrow();
  });
});
