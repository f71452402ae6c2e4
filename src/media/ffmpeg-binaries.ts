/**
 * Finds the ffmpeg and ffprobe to run: the configured paths, else the system's on PATH, else the
 * static builds shipped in npm packages so that `npm install` alone gives a working preview.
 */
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';

export type FfmpegBinaries = {
  ffmpeg: string;
  ffprobe: string;
  /** Where ffmpeg came from (ffprobe is resolved the same way, each on its own). */
  source: 'env' | 'path' | 'bundled';
};

type Source = FfmpegBinaries['source'];
type ToolName = 'ffmpeg' | 'ffprobe';

const BUNDLED_PACKAGE: Record<ToolName, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};

const installerSchema = z.object({ path: z.string().min(1) });

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, pathEnv: string): string | null {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function fromConfig(tool: ToolName, configured: string, pathEnv: string): string {
  const envName = tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  // A bare name ("ffmpeg-6") means "this one from PATH", as a shell would read it.
  const found = configured.includes(path.sep) ? (isExecutableFile(configured) ? configured : null) : findOnPath(configured, pathEnv);
  if (found === null) throw new Error(`${envName}=${configured} is not an executable file`);
  return path.resolve(found);
}

function bundled(tool: ToolName): string {
  const pkg = BUNDLED_PACKAGE[tool];
  let loaded: unknown;
  try {
    loaded = createRequire(import.meta.url)(pkg);
  } catch (e) {
    // @ffmpeg-installer throws a bare string when its platform package is missing.
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`no ${tool} found: not configured, not on PATH, and ${pkg} failed to load (${why})`);
  }
  const parsed = installerSchema.safeParse(loaded);
  if (!parsed.success) throw new Error(`no ${tool} found: ${pkg} did not export a path`);
  const file = parsed.data.path;
  if (!isExecutableFile(file)) {
    // @ffprobe-installer ships its binary without the execute bit.
    try {
      chmodSync(file, 0o755);
    } catch (e) {
      throw new Error(
        `the bundled ${tool} at ${file} is not executable and chmod failed (${(e as Error).message}); ` +
          `install ffmpeg on the system or set ${tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'}`,
      );
    }
    if (!isExecutableFile(file)) throw new Error(`the bundled ${tool} at ${file} is still not executable after chmod`);
  }
  return file;
}

function resolveOne(tool: ToolName, configured: string | null, pathEnv: string): { file: string; source: Source } {
  if (configured !== null) return { file: fromConfig(tool, configured, pathEnv), source: 'env' };
  const onPath = findOnPath(tool, pathEnv);
  if (onPath !== null) return { file: onPath, source: 'path' };
  return { file: bundled(tool), source: 'bundled' };
}

/**
 * Explicit paths (FFMPEG_PATH / FFPROBE_PATH) → `ffmpeg` / `ffprobe` on PATH → the npm-bundled
 * static builds. `pathEnv` defaults to the process's PATH (the OS lookup list, not app config).
 * Throws when an explicit path is unusable rather than silently running another ffmpeg.
 */
export function resolveFfmpegBinaries(opts: {
  ffmpegPath: string | null;
  ffprobePath: string | null;
  pathEnv?: string | undefined;
}): FfmpegBinaries {
  const pathEnv = opts.pathEnv ?? process.env['PATH'] ?? '';
  const ffmpeg = resolveOne('ffmpeg', opts.ffmpegPath, pathEnv);
  const ffprobe = resolveOne('ffprobe', opts.ffprobePath, pathEnv);
  return { ffmpeg: ffmpeg.file, ffprobe: ffprobe.file, source: ffmpeg.source };
}
