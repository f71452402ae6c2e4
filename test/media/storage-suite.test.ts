/** One suite for every Storage back end: the local disk and S3 (s3rver in this process). */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskStorage } from '../../src/media/disk-storage.ts';
import { createS3Client, createS3Storage } from '../../src/media/s3-storage.ts';
import type { Storage } from '../../src/media/storage.ts';
import { startS3Server } from '../support/s3-server.ts';
import { tempDir } from '../support/temp-dir.ts';

type Backend = { storage: Storage; stop(): Promise<void> };

const backends: { name: string; start(): Promise<Backend> }[] = [
  {
    name: 'disk',
    async start() {
      const root = tempDir('reelay-disk-storage-');
      return { storage: createDiskStorage(root.dir), stop: async () => root.remove() };
    },
  },
  {
    name: 's3',
    async start() {
      const s3 = await startS3Server();
      return { storage: createS3Storage({ client: s3.client(), bucket: s3.bucket }), stop: () => s3.stop() };
    },
  },
];

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

describe.each(backends)('$name storage', ({ start }) => {
  let backend: Backend;
  let storage: Storage;
  const files = tempDir('reelay-storage-src-');
  const small = randomBytes(1000);
  let scratchFiles = 0;
  /** A fresh scratch file with `bytes`: putFile may move its source away. */
  const scratch = (bytes: Buffer = small): string => {
    const file = path.join(files.dir, `scratch-${++scratchFiles}.bin`);
    writeFileSync(file, bytes);
    return file;
  };

  beforeAll(async () => {
    backend = await start();
    storage = backend.storage;
  });
  afterAll(async () => {
    await backend?.stop();
    files.remove();
  });

  it('stores a file and reports its size', async () => {
    expect(await storage.putFile('tasks/a/video.mp4', scratch())).toEqual({ size: 1000 });
    expect(await storage.stat('tasks/a/video.mp4')).toEqual({ size: 1000 });
  });

  it('reads the whole object back', async () => {
    expect((await bytesOf(storage.read('tasks/a/video.mp4'))).equals(small)).toBe(true);
  });

  it.each([
    ['the first byte', 0, 0],
    ['a middle range', 100, 499],
    ['the last byte', 999, 999],
  ])('reads %s', async (_name, start, end) => {
    const got = await bytesOf(storage.read('tasks/a/video.mp4', { start, end }));
    expect(got.equals(small.subarray(start, end + 1))).toBe(true);
  });

  it('answers null for a missing key, and its read stream errors', async () => {
    expect(await storage.stat('tasks/none/video.mp4')).toBeNull();
    await expect(bytesOf(storage.read('tasks/none/video.mp4'))).rejects.toThrow();
  });

  it('overwrites an object under the same key', async () => {
    const other = randomBytes(333);
    await storage.putFile('tasks/b/video.mp4', scratch());
    expect(await storage.putFile('tasks/b/video.mp4', scratch(other))).toEqual({ size: 333 });
    expect(await storage.stat('tasks/b/video.mp4')).toEqual({ size: 333 });
    expect((await bytesOf(storage.read('tasks/b/video.mp4'))).equals(other)).toBe(true);
  });

  it('deletes an object, and deleting a missing key is no error', async () => {
    await storage.putFile('tasks/c/video.mp4', scratch());
    await storage.delete('tasks/c/video.mp4');
    expect(await storage.stat('tasks/c/video.mp4')).toBeNull();
    await expect(storage.delete('tasks/c/video.mp4')).resolves.toBeUndefined();
    await expect(storage.delete('tasks/never/video.mp4')).resolves.toBeUndefined();
  });

  it('stores a 20 MB file (multipart on S3) and reads ranges across part boundaries', async () => {
    const big = randomBytes(20 * 1024 * 1024);
    expect(await storage.putFile('tasks/big/video.mp4', scratch(big))).toEqual({ size: big.length });
    expect(await storage.stat('tasks/big/video.mp4')).toEqual({ size: big.length });
    expect((await bytesOf(storage.read('tasks/big/video.mp4'))).equals(big)).toBe(true);
    const boundary = 8 * 1024 * 1024;
    const got = await bytesOf(storage.read('tasks/big/video.mp4', { start: boundary - 10, end: boundary + 9 }));
    expect(got.equals(big.subarray(boundary - 10, boundary + 10))).toBe(true);
    const last = await bytesOf(storage.read('tasks/big/video.mp4', { start: big.length - 1, end: big.length - 1 }));
    expect(last.equals(big.subarray(big.length - 1))).toBe(true);
  }, 60_000);

  it('reads slices in one call where the storage can (disk), and sees an overwrite and a delete at once', async () => {
    if (!storage.readSlice) return;
    const first = randomBytes(5000);
    await storage.putFile('tasks/s/video.mp4', scratch(first));
    expect((await storage.readSlice('tasks/s/video.mp4', { start: 10, end: 4009 })).equals(first.subarray(10, 4010))).toBe(true);
    // Into a caller's buffer: the answer is its filled start; a buffer too small is refused.
    const into = Buffer.alloc(8000, 7);
    const filled = await storage.readSlice('tasks/s/video.mp4', { start: 100, end: 199 }, into);
    expect(filled.length).toBe(100);
    expect(filled.buffer).toBe(into.buffer);
    expect(filled.equals(first.subarray(100, 200))).toBe(true);
    expect(into[100]).toBe(7);
    await expect(storage.readSlice('tasks/s/video.mp4', { start: 0, end: 99 }, Buffer.alloc(99))).rejects.toThrow(RangeError);
    const second = randomBytes(3000);
    await storage.putFile('tasks/s/video.mp4', scratch(second));
    expect(await storage.stat('tasks/s/video.mp4')).toEqual({ size: 3000 });
    expect((await storage.readSlice('tasks/s/video.mp4', { start: 0, end: 2999 })).equals(second)).toBe(true);
    await storage.delete('tasks/s/video.mp4');
    expect(await storage.stat('tasks/s/video.mp4')).toBeNull();
    await expect(storage.readSlice('tasks/s/video.mp4', { start: 0, end: 9 })).rejects.toThrow(/no object/);
    await expect(storage.readSlice('tasks/a/video.mp4', { start: 990, end: 1009 })).rejects.toThrow(/ended before byte 1009/);
  });

  it('refuses an invalid key', async () => {
    await expect(storage.putFile('../escape', scratch())).rejects.toThrow(/invalid storage key/);
  });
});

describe('disk storage takes a scratch file in', () => {
  it('moves it on the same disk: the stored file is the scratch file itself, not a copy', async () => {
    const root = tempDir('reelay-disk-move-');
    try {
      const storage = createDiskStorage(path.join(root.dir, 'media'));
      const source = path.join(root.dir, 'scratch.mp4');
      writeFileSync(source, randomBytes(4096));
      const inode = statSync(source).ino;
      expect(await storage.putFile('tasks/m/video.mp4', source)).toEqual({ size: 4096 });
      expect(existsSync(source)).toBe(false);
      expect(statSync(path.join(root.dir, 'media/tasks/m/video.mp4')).ino).toBe(inode);
    } finally {
      root.remove();
    }
  });

  // /dev/shm is a tmpfs on Linux, another file system than the temp dir: rename fails with EXDEV.
  const otherDisk = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev ? '/dev/shm' : null;
  it.skipIf(otherDisk === null)('copies it from another disk through a temporary name, leaving nothing half-written', async () => {
    const root = tempDir('reelay-disk-copy-');
    const source = path.join(otherDisk ?? '', `reelay-scratch-${randomBytes(6).toString('hex')}.mp4`);
    try {
      const storage = createDiskStorage(path.join(root.dir, 'media'));
      const bytes = randomBytes(300_000);
      writeFileSync(source, bytes);
      expect(await storage.putFile('tasks/x/video.mp4', source)).toEqual({ size: bytes.length });
      expect(readFileSync(path.join(root.dir, 'media/tasks/x/video.mp4')).equals(bytes)).toBe(true);
      expect(readdirSync(path.join(root.dir, 'media/tasks/x'))).toEqual(['video.mp4']);
    } finally {
      rmSync(source, { force: true });
      root.remove();
    }
  });
  if (otherDisk === null) console.log('SKIPPED: disk storage cross-device copy (no /dev/shm on another file system)');
});

describe('S3 presigned links for a public endpoint (REELAY_S3_PUBLIC_ENDPOINT)', () => {
  it('signs links for the address clients use, which then serve the object', async () => {
    const s3 = await startS3Server();
    const files = tempDir('reelay-presign-');
    try {
      // The same server under another name, as a public hostname in front of an internal one.
      const publicEndpoint = s3.endpoint.replace('127.0.0.1', 'localhost');
      const presignClient = createS3Client({ endpoint: publicEndpoint, bucket: s3.bucket, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
      const storage = createS3Storage({ client: s3.client(), bucket: s3.bucket, presignClient });
      const body = randomBytes(1000);
      writeFileSync(path.join(files.dir, 'v.mp4'), body);
      await storage.putFile('tasks/p/video.mp4', path.join(files.dir, 'v.mp4'));
      const link = new URL(await (storage.presign as NonNullable<Storage['presign']>)('tasks/p/video.mp4', 60));
      expect(link.origin).toBe(publicEndpoint);
      expect(link.pathname).toBe(`/${s3.bucket}/tasks/p/video.mp4`);
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
      presignClient.destroy();
    } finally {
      files.remove();
      await s3.stop();
    }
  });
});
