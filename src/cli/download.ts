/** Streams a URL to a file with a byte progress bar on a terminal's stderr (nothing otherwise). */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';

export async function downloadTo(url: string, file: string): Promise<number> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`download failed: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const bar = new cliProgress.SingleBar(
    { format: 'downloading [{bar}] {percentage}% {value}/{total} bytes', noTTYOutput: false, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const onTty = process.stderr.isTTY === true;
  if (onTty) bar.start(total, 0);
  let received = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (onTty) bar.update(received);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), count, createWriteStream(file));
  } catch (e) {
    // No half-written MP4 left behind to be mistaken for the video.
    await rm(file, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    if (onTty) bar.stop();
  }
  return received;
}
