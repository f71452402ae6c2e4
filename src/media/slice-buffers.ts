/**
 * Buffers reused across media downloads (src/http/routes/send-stored-range.ts). A download is
 * sent in chunks, each read into a buffer and written from it; a new 1 MiB buffer per chunk is
 * memory outside V8's heap, and at hundreds of chunks a second V8 collected garbage for it over
 * and over (bench/media.ts, 1 MiB Range GETs: garbage collection was ~21 % of the server's CPU).
 *
 * Buffers come in power-of-two sizes from 64 KiB, so a buffer fits every request of its class.
 * A buffer is given back only once nothing refers to it any more: for a chunk, after its write
 * completed (the kernel has the bytes). At most `maxBytes` are kept idle; the rest are left to
 * the garbage collector. A buffer given twice, or a view into one, is not kept: two downloads
 * sharing memory would send each other's bytes.
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
  // By the memory, not the Buffer object: a view over all of a buffer is the same memory.
  const kept = new WeakSet<ArrayBufferLike>();
  let idleBytes = 0;
  return {
    take(length) {
      const size = sliceClassOf(length);
      const buffer = idle.get(size)?.pop();
      if (buffer) {
        kept.delete(buffer.buffer);
        idleBytes -= size;
        return buffer;
      }
      // allocUnsafeSlow: its own memory, never a slice of Node's shared pool, so it can be kept.
      return Buffer.allocUnsafeSlow(size);
    },
    give(buffer) {
      const size = buffer.length;
      // Only a whole buffer of one of our sizes, not already idle, and only while there is room.
      const whole = buffer.byteOffset === 0 && buffer.buffer.byteLength === size;
      if (!whole || size !== sliceClassOf(size) || kept.has(buffer.buffer) || idleBytes + size > options.maxBytes) return;
      kept.add(buffer.buffer);
      let list = idle.get(size);
      if (!list) idle.set(size, (list = []));
      list.push(buffer);
      idleBytes += size;
    },
    idleBytes: () => idleBytes,
  };
}
