import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import { tempDir } from '../support/temp-dir.ts';

const { ffmpeg, ffprobe } = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });

describe('probeVideo', () => {
  const tmp = tempDir('reelay-probe-');
  const file = (name: string): string => path.join(tmp.dir, name);

  beforeAll(() => {
    const lavfi = (args: string[], out: string): void => {
      execFileSync(ffmpeg, ['-v', 'error', '-y', ...args, file(out)]);
    };
    lavfi(['-f', 'lavfi', '-i', 'testsrc2=duration=2:size=320x240:rate=24', '-f', 'lavfi', '-i', 'sine=duration=2',
      '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'], 'with-audio.mp4');
    lavfi(['-f', 'lavfi', '-i', 'testsrc2=duration=1:size=160x90:rate=24', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'], 'silent.mp4');
    lavfi(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac'], 'tone.m4a');
    lavfi(['-f', 'lavfi', '-i', 'color=s=32x32', '-frames:v', '1'], 'still.png');
    writeFileSync(file('notes.txt'), 'hello, this is not a video\n');
    writeFileSync(file('art.ans'), 'ANSI art is a "video" to ffprobe\n');
    writeFileSync(file('empty.mp4'), '');
  });
  afterAll(() => tmp.remove());

  it('reads duration, size, codecs and format of a video with sound', async () => {
    const probe = await probeVideo(ffprobe, file('with-audio.mp4'));
    expect(probe).toMatchObject({ width: 320, height: 240, videoCodec: 'h264', pixelFormat: 'yuv420p', hasAudio: true, audioCodec: 'aac' });
    expect(probe.durationSeconds).toBeCloseTo(2, 1);
    expect(probe.formatName).toContain('mp4');
  });

  it('reports no audio for a silent video', async () => {
    const probe = await probeVideo(ffprobe, file('silent.mp4'));
    expect(probe).toMatchObject({ width: 160, height: 90, hasAudio: false, audioCodec: null });
  });

  it.each([
    ['notes.txt', /not a video: .*notes\.txt/],
    ['art.ans', /not a video: .*art\.ans.*tty/],
    ['still.png', /not a video: .*still\.png/],
    ['tone.m4a', /not a video: .*tone\.m4a: it has no video stream/],
    ['empty.mp4', /not a video: .*empty\.mp4/],
    ['missing.mp4', /not a video: .*missing\.mp4.*No such file/],
  ])('rejects %s with a message naming the file', async (name, message) => {
    await expect(probeVideo(ffprobe, file(name))).rejects.toThrow(message);
  });

  it('treats a file name with a colon or a leading dash as a local path', async () => {
    const odd = file('-http:odd.mp4');
    execFileSync('cp', [file('silent.mp4'), odd]);
    expect((await probeVideo(ffprobe, odd)).width).toBe(160);
  });

  it('stops when its signal is aborted', async () => {
    await expect(probeVideo(ffprobe, file('with-audio.mp4'), AbortSignal.abort())).rejects.toThrow(/abort/i);
  });
});
