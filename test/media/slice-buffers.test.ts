import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSliceBuffers, sliceClassOf } from '../../src/media/slice-buffers.ts';

describe('slice buffers', () => {
  it('gives every length a power-of-two buffer from 64 KiB that fits it', () => {
    const buffers = createSliceBuffers({ maxBytes: 0 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 * 1024 * 1024 }), (length) => {
        const size = buffers.take(length).length;
        expect(size).toBe(sliceClassOf(length));
        expect(size).toBeGreaterThanOrEqual(Math.max(length, 64 * 1024));
        expect(size & (size - 1)).toBe(0);
        expect(size / 2 < length || size === 64 * 1024).toBe(true);
      }),
    );
  });

  it('hands a returned buffer out again for its size class only, and only once', () => {
    const buffers = createSliceBuffers({ maxBytes: 4 * 1024 * 1024 });
    const first = buffers.take(1024 * 1024);
    buffers.give(first);
    expect(buffers.idleBytes()).toBe(1024 * 1024);
    expect(buffers.take(100_000)).not.toBe(first);
    expect(buffers.take(600 * 1024)).toBe(first);
    expect(buffers.idleBytes()).toBe(0);
    expect(buffers.take(1024 * 1024)).not.toBe(first);
  });

  it('keeps at most maxBytes idle, and never a buffer that is not one of its own sizes', () => {
    const buffers = createSliceBuffers({ maxBytes: 2 * 1024 * 1024 });
    const taken = [buffers.take(1024 * 1024), buffers.take(1024 * 1024), buffers.take(1024 * 1024)];
    for (const b of taken) buffers.give(b);
    expect(buffers.idleBytes()).toBe(2 * 1024 * 1024);
    buffers.give(Buffer.alloc(1000));
    expect(buffers.idleBytes()).toBe(2 * 1024 * 1024);
  });

  it('keeps a buffer given twice once (also through a view of all of it), and never a part of one', () => {
    const buffers = createSliceBuffers({ maxBytes: 8 * 1024 * 1024 });
    const buffer = buffers.take(1024 * 1024);
    buffers.give(buffer);
    buffers.give(buffer);
    buffers.give(buffer.subarray(0, 1024 * 1024));
    expect(buffers.idleBytes()).toBe(1024 * 1024);
    expect(buffers.take(1024 * 1024)).toBe(buffer);
    expect(buffers.take(1024 * 1024)).not.toBe(buffer);
    buffers.give(buffer.subarray(512 * 1024));
    buffers.give(buffer.subarray(0, 512 * 1024));
    expect(buffers.idleBytes()).toBe(0);
  });

  it('does not hand out slices of Node’s shared buffer pool', () => {
    const buffer = createSliceBuffers({ maxBytes: 0 }).take(10);
    expect(buffer.byteOffset).toBe(0);
    expect(buffer.buffer.byteLength).toBe(buffer.length);
  });
});
