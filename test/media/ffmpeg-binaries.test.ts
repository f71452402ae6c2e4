import { accessSync, chmodSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { tempDir } from '../support/temp-dir.ts';

const require = createRequire(import.meta.url);
const bundledProbe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

describe('resolveFfmpegBinaries', () => {
  const tmp = tempDir('reelay-bins-');
  afterAll(() => tmp.remove());

  function fakeTools(dir: string, names: string[], mode = 0o755): string {
    const full = path.join(tmp.dir, dir);
    mkdirSync(full, { recursive: true });
    for (const name of names) {
      writeFileSync(path.join(full, name), '#!/bin/sh\nexit 0\n');
      chmodSync(path.join(full, name), mode);
    }
    return full;
  }

  it('uses the configured paths first', () => {
    const dir = fakeTools('explicit', ['my-ffmpeg', 'my-ffprobe']);
    const onPath = fakeTools('on-path', ['ffmpeg', 'ffprobe']);
    const bins = resolveFfmpegBinaries({
      ffmpegPath: path.join(dir, 'my-ffmpeg'),
      ffprobePath: path.join(dir, 'my-ffprobe'),
      pathEnv: onPath,
    });
    expect(bins).toEqual({ ffmpeg: path.join(dir, 'my-ffmpeg'), ffprobe: path.join(dir, 'my-ffprobe'), source: 'env' });
  });

  it('looks a configured bare name up on PATH', () => {
    const dir = fakeTools('named', ['ffmpeg-7', 'ffprobe-7']);
    const bins = resolveFfmpegBinaries({ ffmpegPath: 'ffmpeg-7', ffprobePath: 'ffprobe-7', pathEnv: `/nowhere${path.delimiter}${dir}` });
    expect(bins.ffmpeg).toBe(path.join(dir, 'ffmpeg-7'));
    expect(bins.source).toBe('env');
  });

  it('refuses a configured path that is not executable instead of running another ffmpeg', () => {
    const dir = fakeTools('not-exec', ['ffmpeg'], 0o644);
    // root may execute any file with one x bit, so 0o644 is unusable even for root.
    expect(() => resolveFfmpegBinaries({ ffmpegPath: path.join(dir, 'ffmpeg'), ffprobePath: null, pathEnv: '' })).toThrow(/FFMPEG_PATH=.*not an executable file/);
    expect(() => resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: '/no/such/ffprobe', pathEnv: '' })).toThrow(/FFPROBE_PATH=\/no\/such\/ffprobe/);
  });

  it('finds ffmpeg and ffprobe on PATH, skipping directories where they are not executable', () => {
    const broken = fakeTools('broken', ['ffmpeg', 'ffprobe'], 0o644);
    const good = fakeTools('good', ['ffmpeg', 'ffprobe']);
    const bins = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null, pathEnv: ['', broken, good].join(path.delimiter) });
    expect(bins).toEqual({ ffmpeg: path.join(good, 'ffmpeg'), ffprobe: path.join(good, 'ffprobe'), source: 'path' });
  });

  it('falls back to the npm-bundled binaries and makes the shipped ffprobe executable', () => {
    const mode = statSync(bundledProbe).mode & 0o777;
    // The package ships ffprobe without its execute bit; reproduce that, then let the resolver fix it.
    chmodSync(bundledProbe, 0o644);
    try {
      const bins = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null, pathEnv: '' });
      expect(bins.source).toBe('bundled');
      expect(bins.ffprobe).toBe(bundledProbe);
      expect(isExecutable(bins.ffmpeg)).toBe(true);
      expect(isExecutable(bins.ffprobe)).toBe(true);
    } finally {
      chmodSync(bundledProbe, mode | 0o755);
    }
  });
});
