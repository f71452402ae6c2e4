import { describe, expect, it } from 'vitest';
import { LIMITS, checkVideoRequest, type VideoRequest } from '../../src/domain/video-request.ts';
import { videoRequest } from '../support/video-request.ts';

function request(overrides: Partial<VideoRequest> = {}): VideoRequest {
  return videoRequest({ prompt: 'A fox', ...overrides });
}

/** Base64 text that decodes to exactly `bytes` bytes, built without allocating the bytes. */
function base64OfSize(bytes: number): string {
  const whole = Math.floor(bytes / 3) * 4;
  const rest = bytes % 3;
  return 'A'.repeat(whole) + (rest === 0 ? '' : rest === 1 ? 'AA==' : 'AAA=');
}

describe('frame size rule', () => {
  it('measures decoded size from base64 length and padding', () => {
    for (const n of [1, 2, 3, 4, 5, 1000]) expect(Buffer.from(base64OfSize(n), 'base64').length).toBe(n);
  });

  it('accepts raw base64 frames of exactly 10 MiB decoded', () => {
    const tenMiB = base64OfSize(LIMITS.frameBytes);
    expect(checkVideoRequest(request({ firstFrame: tenMiB, lastFrame: tenMiB }), { kind: 'image2video' })).toBeNull();
  });

  it('refuses a first frame one byte over 10 MiB decoded, naming the field', () => {
    const tooBig = base64OfSize(LIMITS.frameBytes + 1);
    expect(checkVideoRequest(request({ firstFrame: tooBig }), { kind: 'image2video' })).toEqual({ field: 'firstFrame', rule: 'must be at most 10 MB (decoded)' });
  });

  it('refuses an oversized last frame when the first frame is fine', () => {
    const tooBig = base64OfSize(LIMITS.frameBytes + 3);
    const v = checkVideoRequest(request({ firstFrame: 'iVBORw0KGgo=', lastFrame: tooBig }), { kind: 'image2video' });
    expect(v).toEqual({ field: 'lastFrame', rule: 'must be at most 10 MB (decoded)' });
  });

  it('does not count whitespace inside base64 as data', () => {
    const spaced = base64OfSize(LIMITS.frameBytes).replace(/(.{76})/g, '$1\n');
    expect(checkVideoRequest(request({ firstFrame: spaced }), { kind: 'image2video' })).toBeNull();
  });

  it('leaves URLs to the fetch-time check, however long', () => {
    const longUrl = `https://example.com/${'a'.repeat(LIMITS.frameBytes * 2)}.png`;
    expect(checkVideoRequest(request({ firstFrame: longUrl, lastFrame: 'HTTP://example.com/x.jpg' }), { kind: 'image2video' })).toBeNull();
  });
});
