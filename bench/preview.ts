/**
 * Preview render speed (issue 8): a 5 s text-to-video clip (16:9, silent) at 720p, 1080p and 4k
 * (tiers std, pro, 4k: src/domain/video-request.ts `outputSize`) rendered by the built-in preview
 * provider, called directly as Reelay's worker calls it, each render in its own process pinned
 * to the server core (ffmpeg inherits the pin: one core per render, as with the default worker
 * concurrency of 2 on 2 cores). Baseline: the clip's own duration, checked with ffprobe.
 * Each tier is rendered again until `seconds` have passed (at least once, at most 5 times); the
 * median counts.
 */
import path from 'node:path';
import type { Tier } from '../src/domain/video-request.ts';
import { benchDir } from './support/bench-dir.ts';
import { SERVER_CORE } from './support/pinning.ts';
import { runPinnedJson } from './support/pinned-json.ts';
import { type Row, type Section } from './support/report.ts';

const CLIP_SECONDS = 5;
const RUNNER = path.resolve(import.meta.dirname, 'support/preview-runner.ts');
const TIERS: Array<{ tier: Tier; label: string; target: number | null }> = [
  { tier: 'std', label: '720p (std)', target: 1 },
  { tier: 'pro', label: '1080p (pro)', target: null },
  { tier: '4k', label: '4k (2160p)', target: null },
];

type Render = {
  wallMs: number;
  ffmpegCpuSeconds: number | null;
  bytes: number;
  ffmpeg: string;
  ffmpegSource: string;
  probe: { durationSeconds: number; width: number; height: number; videoCodec: string };
};

function renderOnce(tier: Tier, workDir: string): Promise<Render> {
  const options = { tier, aspectRatio: '16:9', duration: CLIP_SECONDS, sound: false, workDir };
  return runPinnedJson<Render>(SERVER_CORE, RUNNER, options, `the preview render (${tier})`);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export async function benchPreview(seconds: number): Promise<Section> {
  const dir = benchDir('preview');
  // Warm-up: loads ffmpeg, tsx and the fonts into the page cache; not counted.
  await renderOnce('std', path.join(dir, 'warm-up'));

  const rows: Row[] = [];
  const notes: string[] = [];
  let ffmpeg = '';
  for (const t of TIERS) {
    const renders: Render[] = [];
    const started = Date.now();
    while (renders.length < 1 || (renders.length < 5 && Date.now() - started < seconds * 1000)) {
      renders.push(await renderOnce(t.tier, path.join(dir, `${t.tier}-${renders.length}`)));
    }
    const first = renders[0] as Render;
    ffmpeg = `${first.ffmpeg} (${first.ffmpegSource})`;
    const clip = first.probe.durationSeconds;
    if (Math.abs(clip - CLIP_SECONDS) > 0.1) throw new Error(`the ${t.label} clip lasts ${clip} s, not ${CLIP_SECONDS} s`);
    const wall = median(renders.map((r) => r.wallMs)) / 1000;
    const cpus = renders.map((r) => r.ffmpegCpuSeconds).filter((c): c is number => c !== null);
    const speed = clip / wall;
    rows.push({
      what: `${t.label}: render wall time, ${first.probe.width}×${first.probe.height}, ${CLIP_SECONDS} s clip`,
      baseline: `${clip.toFixed(1)} s`,
      reelay: `${wall.toFixed(2)} s`,
      ratio: `${(wall / clip).toFixed(2)}× real time (${speed.toFixed(2)}× speed)`,
      target: t.target !== null ? 'faster than real time (< 1×)' : 'reported',
      met: t.target !== null ? wall < clip * t.target : null,
    });
    notes.push(
      `${t.label}: ${renders.length} render(s), wall ${renders.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')} s; ffmpeg CPU ${cpus.length > 0 ? `${median(cpus).toFixed(2)} s (median)` : 'unknown'}; ${(first.bytes / 1024).toFixed(0)} KiB ${first.probe.videoCodec}.`,
    );
  }
  notes.push(
    `Rendered by the preview provider (src/providers/preview) with ${ffmpeg}, each render in a process pinned to the server core with its ffmpeg; a 16:9 silent text-to-video clip; median of the renders.`,
    'ffmpeg CPU is user + system time of the render\'s ffmpeg (from /proc): on a busy machine the wall time grows, the CPU time hardly.',
  );
  return { title: `Preview render, ${CLIP_SECONDS} s clip, one core`, rows, notes };
}
