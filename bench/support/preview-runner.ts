/**
 * One preview render in its own process (pinned by preview.ts, so ffmpeg inherits the core):
 * `node --import tsx bench/support/preview-runner.ts '<json>'` with {tier, aspectRatio,
 * duration, sound, workDir}. Calls the built-in preview provider's render directly, as Reelay's
 * worker does, and prints JSON: the render's wall time, the CPU time of its ffmpeg (children's
 * user + system from /proc/self/stat, Linux; null elsewhere), the file's size and what ffprobe
 * says about it.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { AspectRatio, Tier, VideoRequest } from '../../src/domain/video-request.ts';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { probeVideo } from '../../src/media/probe-video.ts';
import { createPreviewProvider } from '../../src/providers/preview/preview-provider.ts';
import { videoRequest } from '../../test/support/video-request.ts';

type Options = { tier: Tier; aspectRatio: AspectRatio; duration: number; sound: boolean; workDir: string };
const o = JSON.parse(process.argv[2] ?? '{}') as Options;

const request: VideoRequest = videoRequest({
  prompt: 'A lighthouse on a rocky coast at dusk, waves breaking against the rocks, the beam sweeping over the sea',
  duration: o.duration,
  tier: o.tier,
  aspectRatio: o.aspectRatio,
  sound: o.sound,
});

const binaries = resolveFfmpegBinaries({ ffmpegPath: process.env['FFMPEG_PATH'] ?? null, ffprobePath: process.env['FFPROBE_PATH'] ?? null });
const provider = createPreviewProvider({ ffmpeg: binaries.ffmpeg });
mkdirSync(o.workDir, { recursive: true });
/** CPU seconds of this process's waited-for children (cutime + cstime; USER_HZ is 100 on Linux). */
function childrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is index 0: cutime is field 16, cstime 17.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

const before = childrenCpuSeconds();
const started = performance.now();
const [video] = await provider.render(request, { signal: new AbortController().signal, onProgress: () => {}, workDir: o.workDir });
const wallMs = performance.now() - started;
const after = childrenCpuSeconds();
if (!video) throw new Error('the preview provider returned no video');
const probe = await probeVideo(binaries.ffprobe, video.path);
process.stdout.write(
  JSON.stringify({
    wallMs,
    ffmpegCpuSeconds: before !== null && after !== null ? after - before : null,
    bytes: statSync(video.path).size,
    ffmpeg: binaries.ffmpeg,
    ffmpegSource: binaries.source,
    probe,
  }),
);
