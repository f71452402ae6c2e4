/** Storage on the local disk under one root folder (the embedded default: `<data dir>/media`). */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isValidKey, type Storage } from './storage.ts';

const READ_CHUNK = 256 * 1024;

export function createDiskStorage(root: string): Storage {
  const pathOf = (key: string): string => {
    if (!isValidKey(key)) throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
    return path.join(root, ...key.split('/'));
  };

  return {
    async putFile(key, sourcePath) {
      const target = pathOf(key);
      await mkdir(path.dirname(target), { recursive: true });
      // Copy to a temporary name, then rename: a reader never sees a half-written file.
      const temp = `${target}.${randomBytes(6).toString('hex')}.part`;
      try {
        await copyFile(sourcePath, temp);
        await rename(temp, target);
      } catch (e) {
        await rm(temp, { force: true });
        throw e;
      }
      return { size: (await stat(target)).size };
    },
    async stat(key) {
      try {
        const s = await stat(pathOf(key));
        return s.isFile() ? { size: s.size } : null;
      } catch {
        return null;
      }
    },
    read(key, range) {
      // 256 KiB reads rather than 64 KiB: each chunk crosses a Web stream into the response, and
      // that per-chunk cost, not the disk, bounded downloads against nginx (bench/media.ts).
      return createReadStream(pathOf(key), { highWaterMark: READ_CHUNK, ...(range ? { start: range.start, end: range.end } : {}) });
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
