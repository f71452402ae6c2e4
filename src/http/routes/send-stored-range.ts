/**
 * Sends a byte range of a stored file into Node's response in chunks read into reused buffers
 * (src/media/slice-buffers.ts): the next chunk is read while the last one is written. A file
 * stream allocated a new buffer per 256 KiB read, all garbage a moment later, and moved bytes
 * through a pipe; at disk speed that cost, not the disk, bounded downloads against nginx
 * (bench/media.ts).
 *
 * A buffer goes back to the pool only after the write that carried it has completed (the kernel
 * has the bytes) or was never made. When the client goes away mid-write, the buffer in flight is
 * left to the garbage collector rather than risk handing out memory a socket may still read.
 */
import type { ServerResponse } from 'node:http';
import type { SliceBuffers } from '../../media/slice-buffers.ts';
import type { ByteRange } from '../../media/storage.ts';

/** Bytes per read and write: big enough that per-chunk costs vanish, small enough to keep two per download. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * How long one chunk may take to leave. Node sets no deadline on sending a response, and a client
 * that stops reading but keeps the connection (or a pipelined response whose connection died
 * before its turn: Node then never calls its write back) would hold its two buffers for good.
 * A paused player that is cut off asks again with Range.
 */
export const CHUNK_WRITE_TIMEOUT_MS = 60_000;

export type RangeSource = (range: ByteRange, into: Buffer) => Promise<Buffer>;

/** A chunk's buffer, and the bytes read into it (null when the read failed or came up short). */
type Chunk = { buffer: Buffer; bytes: Buffer | null };

/** Resolves true once the kernel has `chunk`; false (the response destroyed) if it closed, failed or timed out first. */
function writeChunk(out: ServerResponse, chunk: Buffer, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (out.destroyed) return resolve(false);
    const done = (written: boolean) => {
      clearTimeout(timer);
      out.off('close', onClose);
      if (!written) out.destroy();
      resolve(written);
    };
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    out.once('close', onClose);
    out.write(chunk, (error) => done(!error));
  });
}

/**
 * Reads the first chunk, and only then calls `begin` (which writes the head): when that read
 * fails the answer is still free, and 'missing' is returned. Any later failure (a read, a write,
 * a source answering another length than asked) destroys the response: its Content-Length
 * already promised the rest, so the client sees the download cut rather than short.
 */
export async function sendStoredRange(o: {
  read: RangeSource;
  range: ByteRange;
  out: ServerResponse;
  slices: SliceBuffers;
  begin: () => void;
  writeTimeoutMs?: number;
}): Promise<'sent' | 'missing'> {
  const { read, range, out, slices } = o;
  const timeoutMs = o.writeTimeoutMs ?? CHUNK_WRITE_TIMEOUT_MS;
  const chunkAt = (start: number): ByteRange => ({ start, end: Math.min(range.end, start + CHUNK_BYTES - 1) });
  const readInto = async (at: ByteRange): Promise<Chunk> => {
    const length = at.end - at.start + 1;
    const buffer = slices.take(length);
    try {
      const bytes = await read(at, buffer);
      return { buffer, bytes: bytes.length === length ? bytes : null };
    } catch {
      return { buffer, bytes: null };
    }
  };

  const first = await readInto(chunkAt(range.start));
  if (!first.bytes) {
    slices.give(first.buffer);
    return 'missing';
  }
  let current = { buffer: first.buffer, bytes: first.bytes };
  try {
    o.begin();
    let position = range.start;
    for (;;) {
      const { bytes } = current;
      position += bytes.length;
      // The next read runs while this chunk is written.
      const next = position <= range.end ? readInto(chunkAt(position)) : null;
      const written = await writeChunk(out, bytes, timeoutMs);
      if (written) slices.give(current.buffer);
      if (!next) {
        if (written) out.end();
        return 'sent';
      }
      const following = await next;
      if (!written || !following.bytes) {
        slices.give(following.buffer);
        out.destroy();
        return 'sent';
      }
      current = { buffer: following.buffer, bytes: following.bytes };
    }
  } catch {
    // The head is out: the only honest answer left is a cut connection.
    out.destroy();
    return 'sent';
  }
}
