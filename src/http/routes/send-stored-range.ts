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

export type RangeSource = (range: ByteRange, into: Buffer) => Promise<Buffer>;

/** Resolves true once the kernel has `chunk`, false if the response closed or failed first. */
function writeChunk(out: ServerResponse, chunk: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (out.destroyed) return resolve(false);
    const onClose = () => resolve(false);
    out.once('close', onClose);
    out.write(chunk, (error) => {
      out.off('close', onClose);
      resolve(!error);
    });
  });
}

/**
 * Reads the first chunk, and only then calls `begin` (which writes the head): when that read
 * fails the answer is still free, and 'missing' is returned. A later failed read ends the
 * response early (its Content-Length already promised the rest), so the client sees it cut.
 */
export async function sendStoredRange(o: { read: RangeSource; range: ByteRange; out: ServerResponse; slices: SliceBuffers; begin: () => void }): Promise<'sent' | 'missing'> {
  const { read, range, out, slices } = o;
  const chunkAt = (start: number): ByteRange => ({ start, end: Math.min(range.end, start + CHUNK_BYTES - 1) });
  const readInto = async (at: ByteRange): Promise<{ buffer: Buffer; bytes: Buffer | null }> => {
    const buffer = slices.take(at.end - at.start + 1);
    try {
      return { buffer, bytes: await read(at, buffer) };
    } catch {
      return { buffer, bytes: null };
    }
  };

  let current = await readInto(chunkAt(range.start));
  if (!current.bytes) {
    slices.give(current.buffer);
    return 'missing';
  }
  o.begin();
  let position = range.start;
  for (;;) {
    const bytes = current.bytes as Buffer;
    position += bytes.length;
    // The next read runs while this chunk is written.
    const next = position <= range.end ? readInto(chunkAt(position)) : null;
    const written = await writeChunk(out, bytes);
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
    current = following;
  }
}
