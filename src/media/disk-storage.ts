/** Storage on the local disk under one root folder (the embedded default: `<data dir>/media`). */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createOpenFiles } from './open-files.ts';
import { isValidKey, type Storage } from './storage.ts';

const READ_CHUNK = 256 * 1024;

export function createDiskStorage(root: string): Storage {
  const files = createOpenFiles();
  const pathOf = (key: string): string => {
    if (!isValidKey(key)) throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
    return path.join(root, ...key.split('/'));
  };

  return {
    async putFile(key, sourcePath) {
      const target = pathOf(key);
      await mkdir(path.dirname(target), { recursive: true });
      // The source is the caller's scratch file: on the same disk it is moved in, one atomic
      // rename and no copy of the video. Across disks it is copied to a temporary name, then
      // renamed: a reader never sees a half-written file.
      files.forget(target);
      try {
        await rename(sourcePath, target);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        const temp = `${target}.${randomBytes(6).toString('hex')}.part`;
        try {
          await copyFile(sourcePath, temp);
          await rename(temp, target);
        } catch (copyError) {
          await rm(temp, { force: true });
          throw copyError;
        }
      }
      files.forget(target);
      return { size: (await stat(target)).size };
    },
    async stat(key) {
      return files.with(pathOf(key), async (file) => ({ size: file.size }));
    },
    read(key, range) {
      // 256 KiB reads rather than 64 KiB: each chunk crosses a Web stream into the response, and
      // that per-chunk cost, not the disk, bounded downloads against nginx (bench/media.ts).
      return createReadStream(pathOf(key), { highWaterMark: READ_CHUNK, ...(range ? { start: range.start, end: range.end } : {}) });
    },
    async readSlice(key, range, into) {
      const slice = await files.with(pathOf(key), async ({ handle }) => {
        const length = range.end - range.start + 1;
        if (into && into.length < length) throw new RangeError(`a ${length}-byte range does not fit a ${into.length}-byte buffer`);
        const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, range.start + filled);
          if (bytesRead === 0) throw new Error(`the object ${key} ended before byte ${range.end}`);
          filled += bytesRead;
        }
        return buffer;
      });
      if (!slice) throw new Error(`no object ${key}`);
      return slice;
    },
    async delete(key) {
      files.forget(pathOf(key));
      await rm(pathOf(key), { force: true });
      files.forget(pathOf(key));
    },
  };
}
