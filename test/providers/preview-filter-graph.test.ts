import { describe, expect, it } from 'vitest';
import { ASPECT_RATIOS, TIERS, outputSize, type VideoRequest } from '../../src/domain/video-request.ts';
import { escapeFilterValue, planPreviewRender, shotColour, shotToneHz } from '../../src/providers/preview/filter-graph.ts';
import { computeLayout } from '../../src/providers/preview/preview-layout.ts';
import { videoRequest } from '../support/video-request.ts';

const fonts = { regular: '/fonts/Sans.ttf', bold: '/fonts/Sans-Bold.ttf' };

function request(overrides: Partial<VideoRequest> = {}): VideoRequest {
  return videoRequest({ prompt: 'A fox', ...overrides });
}

const graphOf = (args: string[]): string => args[args.indexOf('-filter_complex') + 1] ?? '';
const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('planPreviewRender', () => {
  it.each(TIERS.flatMap((tier) => ASPECT_RATIOS.map((aspect) => [tier, aspect] as const)))('sizes %s %s from outputSize', (tier, aspectRatio) => {
    const plan = planPreviewRender(request({ tier, aspectRatio }), { workDir: '/w', fonts });
    const { width, height } = outputSize(tier, aspectRatio);
    expect(plan).toMatchObject({ width, height, totalSeconds: 5 });
    expect(graphOf(plan.args)).toContain(`s=${width}x${height}:r=24:d=5`);
  });

  it('sizes 4k 16:9 as 3840x2160 and 9:16 as 2160x3840', () => {
    expect(graphOf(planPreviewRender(request({ tier: '4k' }), { workDir: '/w', fonts }).args)).toContain('s=3840x2160');
    expect(graphOf(planPreviewRender(request({ tier: '4k', aspectRatio: '9:16' }), { workDir: '/w', fonts }).args)).toContain('s=2160x3840');
  });

  it('makes one coloured segment, one text file and one tone per shot', () => {
    const shots = [1, 2, 3].map((index) => ({ index, prompt: `shot ${index}`, duration: index }));
    const plan = planPreviewRender(request({ multiShot: 'customize', shots, duration: 6, sound: true }), { workDir: '/w', fonts });
    const graph = graphOf(plan.args);
    expect(plan.textFiles.map((f) => [f.path, f.content])).toEqual([['/w/shot-1.txt', 'shot 1'], ['/w/shot-2.txt', 'shot 2'], ['/w/shot-3.txt', 'shot 3']]);
    for (const shot of shots) {
      expect(graph).toContain(`color=c=${shotColour(shot.index)}:s=1280x720:r=24:d=${shot.duration}`);
      expect(graph).toContain(`sine=frequency=${shotToneHz(shot.index)}:sample_rate=48000:duration=${shot.duration}`);
    }
    expect(graph).toContain('[v0][a0][v1][a1][v2][a2]concat=n=3:v=1:a=1[vc][ac]');
    expect(plan.totalSeconds).toBe(6);
  });

  it('gives six shots six different colours and tones', () => {
    expect(new Set([1, 2, 3, 4, 5, 6].map(shotColour)).size).toBe(6);
    expect(new Set([1, 2, 3, 4, 5, 6].map(shotToneHz)).size).toBe(6);
  });

  it('adds no audio at all when sound is off', () => {
    const plan = planPreviewRender(request({ sound: false, watermark: true }), { workDir: '/w', fonts });
    expect(graphOf(plan.args)).not.toMatch(/sine|asplit|\[a/);
    expect(plan.args).not.toContain('aac');
  });

  it('writes a watermarked second output from the same graph when asked', () => {
    const plan = planPreviewRender(request({ watermark: true, sound: true }), { workDir: '/w', fonts });
    const graph = graphOf(plan.args);
    expect(plan.watermarkPath).toBe('/w/preview-watermarked.mp4');
    expect(graph).toContain('split=2[vout][vw0]');
    expect(graph).toContain('asplit=2[aout][aw]');
    expect(graph).toContain("text=\\'Reelay\\'");
    expect(plan.args.filter((a) => a.startsWith('file:'))).toEqual(['file:/w/preview.mp4', 'file:/w/preview-watermarked.mp4']);
    expect(count(plan.args.join(' '), '-movflags +faststart')).toBe(2);
  });

  it('has one output and no watermark path when no watermark is asked for', () => {
    const plan = planPreviewRender(request(), { workDir: '/w', fonts });
    expect(plan.watermarkPath).toBeNull();
    expect(plan.args.filter((a) => a.startsWith('file:'))).toEqual(['file:/w/preview.mp4']);
  });

  it('keeps prompt text out of the arguments: it goes through text files', () => {
    const prompt = `Weird: 'quote' [x];y, 100% \\ back`;
    const plan = planPreviewRender(request({ prompt }), { workDir: '/w', fonts });
    expect(plan.args.join(' ')).not.toContain('Weird');
    expect(plan.textFiles[0]?.content).toBe(prompt);
    expect(graphOf(plan.args)).toContain('expansion=none');
  });

  it('asks for H.264 yuv420p, faststart and bit-exact, metadata-free output', () => {
    const args = planPreviewRender(request(), { workDir: '/w', fonts }).args.join(' ');
    for (const flag of ['-c:v libx264', '-pix_fmt yuv420p', '-movflags +faststart', '-fflags +bitexact', '-flags:v +bitexact', '-map_metadata -1', '-progress pipe:1']) {
      expect(args).toContain(flag);
    }
  });
});

describe('computeLayout', () => {
  it('scales text with the short side of the frame', () => {
    const std = computeLayout(1280, 720);
    const uhd = computeLayout(3840, 2160);
    expect(uhd.bannerSize).toBe(std.bannerSize * 3);
    expect(computeLayout(720, 1280).promptSize).toBe(std.promptSize);
    expect(computeLayout(720, 1280).promptLimits.maxLines).toBeGreaterThan(std.promptLimits.maxLines);
    expect(computeLayout(720, 1280).promptLimits.maxColumns).toBeLessThan(std.promptLimits.maxColumns);
  });
});

describe('escapeFilterValue', () => {
  it.each([
    ['/plain/path.ttf', "\\'/plain/path.ttf\\'"],
    ['a:b', "\\'a:b\\'"],
    ["it's", "\\'it\\'\\\\\\'\\'s\\'"],
    ['x[1],y;z', "\\'x\\[1\\]\\,y\\;z\\'"],
    ['back\\slash', "\\'back\\\\slash\\'"],
  ])('escapes %s for a filtergraph', (value, escaped) => {
    expect(escapeFilterValue(value)).toBe(escaped);
  });
});
