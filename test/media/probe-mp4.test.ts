import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { h264PixelFormat } from '../../src/media/h264-pixel-format.ts';
import { probeMp4 } from '../../src/media/probe-mp4.ts';
import { probeVideo, probeWithFfprobe, type VideoProbe } from '../../src/media/probe-video.ts';
import { tempDir } from '../support/temp-dir.ts';

const { ffmpeg, ffprobe } = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
const hasX265 = execFileSync(ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' }).includes('libx265');
const hasVp8 = execFileSync(ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' }).includes('libvpx ');

describe('probeMp4', () => {
  const tmp = tempDir('reelay-probe-mp4-');
  const file = (name: string): string => path.join(tmp.dir, name);
  const make = (args: string[], out: string): void => {
    execFileSync(ffmpeg, ['-v', 'error', '-y', ...args, file(out)]);
  };
  const video = (size: string, seconds = 2): string[] => ['-f', 'lavfi', '-i', `testsrc2=duration=${seconds}:size=${size}:rate=24`];
  const sound = (seconds = 2): string[] => ['-f', 'lavfi', '-i', `sine=duration=${seconds}`];
  const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

  const clips: Array<[string, string]> = [
    ['h264 + aac, faststart', 'faststart.mp4'],
    ['h264 + aac, moov at the end', 'moov-last.mp4'],
    ['h264 without audio', 'silent.mp4'],
    ['9:16', 'portrait.mp4'],
    ['1:1', 'square.mp4'],
    ['full-range h264 (yuvj420p)', 'full-range.mp4'],
    ['h264 main profile, B-frames', 'main.mp4'],
    ...(hasX265 ? [['hevc + aac', 'hevc.mp4'] as [string, string]] : []),
  ];

  beforeAll(() => {
    make([...video('320x240'), ...sound(), ...x264, '-c:a', 'aac', '-shortest', '-movflags', '+faststart'], 'faststart.mp4');
    make([...video('320x240'), ...sound(), ...x264, '-c:a', 'aac', '-shortest'], 'moov-last.mp4');
    make([...video('160x90', 1), ...x264], 'silent.mp4');
    make([...video('360x640', 1), ...sound(1), ...x264, '-c:a', 'aac', '-shortest', '-movflags', '+faststart'], 'portrait.mp4');
    make([...video('320x320', 1), ...x264, '-movflags', '+faststart'], 'square.mp4');
    make([...video('320x240', 1), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuvj420p'], 'full-range.mp4');
    make([...video('320x240', 1), '-c:v', 'libx264', '-profile:v', 'main', '-pix_fmt', 'yuv420p'], 'main.mp4');
    if (hasX265) {
      make([...video('320x240', 1), ...sound(1), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error',
        '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'], 'hevc.mp4');
    }
    const whole = readFileSync(file('faststart.mp4'));
    writeFileSync(file('truncated.mp4'), whole.subarray(0, Math.floor(whole.length * 0.9)));
    const last = readFileSync(file('moov-last.mp4'));
    writeFileSync(file('truncated-moov-last.mp4'), last.subarray(0, Math.floor(last.length * 0.9)));
    make([...sound(1), '-c:a', 'aac'], 'tone.m4a');
    make(['-f', 'lavfi', '-i', 'color=s=32x32', '-frames:v', '1'], 'still.png');
    if (hasVp8) make([...video('160x90', 0.5), '-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '200k'], 'clip.webm');
    writeFileSync(file('notes.txt'), 'hello, this is not a video\n');
    writeFileSync(file('empty.mp4'), '');
  }, 120_000);
  afterAll(() => tmp.remove());

  it.each(clips)('agrees with ffprobe on %s', async (_label, name) => {
    const mine = await probeMp4(file(name));
    const theirs = await probeWithFfprobe(ffprobe, file(name));
    expect(mine).not.toBeNull();
    const probe = mine as VideoProbe;
    expect(Math.abs(probe.durationSeconds - theirs.durationSeconds)).toBeLessThanOrEqual(0.05);
    expect(probe).toMatchObject({
      width: theirs.width,
      height: theirs.height,
      videoCodec: theirs.videoCodec,
      hasAudio: theirs.hasAudio,
      audioCodec: theirs.audioCodec,
      formatName: theirs.formatName,
    });
    // H.264's pixel format comes from its SPS; for other codecs the probe says 'unknown'.
    if (probe.videoCodec === 'h264') expect(probe.pixelFormat).toBe(theirs.pixelFormat);
    else expect(probe.pixelFormat).toBe('unknown');
    // probeVideo answers in process; with exactPixelFormat it asks ffprobe when that is unknown.
    expect(await probeVideo(ffprobe, file(name))).toEqual(probe);
    expect((await probeVideo(ffprobe, file(name), undefined, { exactPixelFormat: true })).pixelFormat).toBe(theirs.pixelFormat);
  });

  it('reads the expected sizes and codecs', async () => {
    expect(await probeMp4(file('portrait.mp4'))).toMatchObject({ width: 360, height: 640, videoCodec: 'h264', hasAudio: true, audioCodec: 'aac' });
    expect(await probeMp4(file('square.mp4'))).toMatchObject({ width: 320, height: 320, hasAudio: false, audioCodec: null });
    expect(await probeMp4(file('moov-last.mp4'))).toMatchObject({ width: 320, height: 240, pixelFormat: 'yuv420p' });
    if (hasX265) expect(await probeMp4(file('hevc.mp4'))).toMatchObject({ videoCodec: 'hevc', audioCodec: 'aac' });
  });

  it.each(['truncated.mp4', 'truncated-moov-last.mp4'])('rejects %s (cut by 10 %%) as not a video', async (name) => {
    await expect(probeMp4(file(name))).rejects.toThrow(/^not a video: .*truncated/);
    await expect(probeVideo(ffprobe, file(name))).rejects.toThrow(/^not a video: .*truncated/);
  });

  it('rejects an MP4 without a video track', async () => {
    await expect(probeMp4(file('tone.m4a'))).rejects.toThrow(/^not a video: .*tone\.m4a: it has no video stream/);
  });

  it.each(['still.png', 'notes.txt', 'empty.mp4', 'missing.mp4', ...(hasVp8 ? ['clip.webm'] : [])])('leaves %s to ffprobe (null)', async (name) => {
    expect(await probeMp4(file(name))).toBeNull();
  });

  it('still rejects non-videos through probeVideo, and reads a WebM through ffprobe', async () => {
    for (const name of ['still.png', 'notes.txt', 'empty.mp4']) {
      await expect(probeVideo(ffprobe, file(name))).rejects.toThrow(/^not a video/);
    }
    if (hasVp8) expect(await probeVideo(ffprobe, file('clip.webm'))).toMatchObject({ videoCodec: 'vp8', width: 160, height: 90 });
  });

  it('throws the abort reason when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(probeMp4(file('faststart.mp4'), controller.signal)).rejects.toThrow('stop now');
    await expect(probeMp4(file('faststart.mp4'), AbortSignal.abort())).rejects.toThrow(/abort/i);
  });

  it('says unknown for an SPS it cannot read', () => {
    expect(h264PixelFormat(Uint8Array.from([0x67]))).toBe('unknown');
    expect(h264PixelFormat(new Uint8Array())).toBe('unknown');
  });

  /** Resolves to null or a probe, or rejects with 'not a video': anything else fails the property. */
  async function wellBehaved(name: string, bytes: Uint8Array): Promise<boolean> {
    writeFileSync(file(name), bytes);
    try {
      const probe = await probeMp4(file(name));
      return probe === null || (probe.width > 0 && probe.height > 0 && probe.durationSeconds > 0);
    } catch (e) {
      return e instanceof Error && e.message.startsWith('not a video');
    }
  }

  const box = (type: string, body: Uint8Array): Uint8Array => {
    const out = Buffer.alloc(8 + body.length);
    out.writeUInt32BE(out.length, 0);
    out.write(type, 4, 'latin1');
    out.set(body, 8);
    return out;
  };
  const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'));

  it('never crashes or hangs on random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), (bytes) => wellBehaved('random.bin', bytes)), { numRuns: 200 });
  });

  it('never crashes or hangs on random bytes after a valid ftyp', async () => {
    const boxes = fc.array(
      fc.tuple(fc.constantFrom('moov', 'mdat', 'free', 'trak', 'mvhd', 'moof', 'abcd'), fc.uint8Array({ maxLength: 512 })).map(([t, b]) => box(t, b)),
      { maxLength: 4 },
    );
    const tail = fc.oneof(fc.uint8Array({ maxLength: 4096 }), boxes.map((bs) => Buffer.concat(bs)));
    await fc.assert(fc.asyncProperty(tail, (rest) => wellBehaved('ftyp.bin', Buffer.concat([ftyp, rest]))), { numRuns: 200 });
  });

  it('never crashes or hangs on a real MP4 with bytes changed or cut', async () => {
    const real = readFileSync(file('faststart.mp4'));
    const moovEnd = 4096; // the ftyp and moov of this small faststart clip
    const mutation = fc.record({
      changes: fc.array(fc.tuple(fc.nat({ max: moovEnd - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      cut: fc.option(fc.nat({ max: real.length }), { nil: undefined }),
    });
    await fc.assert(fc.asyncProperty(mutation, ({ changes, cut }) => {
      const bytes = Buffer.from(real);
      for (const [at, value] of changes) bytes[at] = value;
      return wellBehaved('mutated.mp4', cut === undefined ? bytes : bytes.subarray(0, cut));
    }), { numRuns: 150 });
  });

  it('is faster than ffprobe (timing for the report)', async () => {
    const names = ['faststart.mp4', 'moov-last.mp4', ...(hasX265 ? ['hevc.mp4'] : [])];
    const calls = 50;
    for (const name of names) {
      const time = async (probe: () => Promise<unknown>): Promise<number> => {
        await probe();
        const start = performance.now();
        for (let i = 0; i < calls; i++) await probe();
        return (performance.now() - start) / calls;
      };
      const inProcess = await time(() => probeMp4(file(name)));
      const spawned = await time(() => probeWithFfprobe(ffprobe, file(name)));
      console.log(`probe ${name}: probeMp4 ${inProcess.toFixed(2)} ms, ffprobe ${spawned.toFixed(2)} ms per call (${calls} calls)`);
      expect(inProcess).toBeLessThan(spawned);
    }
  });
});
