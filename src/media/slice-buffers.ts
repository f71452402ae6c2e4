/**
 * Buffers reused across Range answers. A player's seek is answered with one read into a buffer
 * and one write of it; a new 1 MiB buffer per request is memory outside V8's heap, and at
 * hundreds of requests a second V8 collected garbage for it over and over (bench/media.ts, 1 MiB
 * Range GETs: garbage collection was ~21 % of the server's CPU profile).
 *
 * Buffers come in power-of-two sizes from 64 KiB, so a buffer fits every request of its class.
 * A buffer is given back only once nothing refers to it any more: for a response, after its end
 * callback, when the kernel has copied the bytes. At most `maxBytes` are kept idle; the rest are
 * left to the garbage collector.
 */
export type SliceBuffers = {
  /** A buffer of at least `length` bytes (its contents are old bytes, not zeros). */
  take(length: number): Buffer;
  /** Returns a buffer from `take`; the caller must not touch it afterwards. */
  give(buffer: Buffer): void;
  /** Bytes kept idle (for tests and metrics). */
  idleBytes(): number;
};

const SMALLEST = 64 * 1024;

/** The size class of `length`: the next power of two, at least 64 KiB. */
export function sliceClassOf(length: number): number {
  let size = SMALLEST;
  while (size < length) size *= 2;
  return size;
}

export function createSliceBuffers(options: { maxBytes: number }): SliceBuffers {
  const idle = new Map<number, Buffer[]>();
  let idleBytes = 0;
  return {
    take(length) {
      const size = sliceClassOf(length);
      const buffer = idle.get(size)?.pop();
      if (buffer) {
        idleBytes -= size;
        return buffer;
      }
      // allocUnsafeSlow: its own memory, never a slice of Node's shared pool, so it can be kept.
      return Buffer.allocUnsafeSlow(size);
    },
    give(buffer) {
      const size = buffer.length;
      // A buffer not from `take` (wrong size) or one too many is simply dropped.
      if (size !== sliceClassOf(size) || idleBytes + size > options.maxBytes) return;
      let list = idle.get(size);
      if (!list) idle.set(size, (list = []));
      list.push(buffer);
      idleBytes += size;
    },
    idleBytes: () => idleBytes,
  };
}
