import { describe, expect, it } from 'vitest';
import { abortError, progressFromLine } from '../../src/providers/preview/run-ffmpeg.ts';

describe('progressFromLine', () => {
  it('reads out_time_us and the misnamed out_time_ms as microseconds', () => {
    expect(progressFromLine('out_time_us=2500000', 5)).toBe(50);
    expect(progressFromLine('out_time_ms=1250000', 5)).toBe(25);
  });

  it('keeps 100 for the end of the render', () => {
    expect(progressFromLine('out_time_us=5013333', 5)).toBe(99);
  });

  it('ignores other keys, N/A and the negative start value', () => {
    expect(progressFromLine('frame=12', 5)).toBeNull();
    expect(progressFromLine('out_time_us=N/A', 5)).toBeNull();
    expect(progressFromLine('out_time_us=-9223372036854775807', 5)).toBeNull();
    expect(progressFromLine('out_time=00:00:01.000000', 5)).toBeNull();
  });
});

describe('abortError', () => {
  it('is an AbortError carrying the reason', () => {
    const reason = new Error('lease lost');
    expect(abortError(reason)).toMatchObject({ name: 'AbortError', cause: reason });
  });
});
