/** One suite for every Storage back end: the local disk and S3 (s3rver in this process). */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
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
  const smallFile = path.join(files.dir, 'small.bin');

  beforeAll(async () => {
    writeFileSync(smallFile, small);
    backend = await start();
    storage = backend.storage;
  });
  afterAll(async () => {
    await backend?.stop();
    files.remove();
  });

  it('stores a file and reports its size', async () => {
    expect(await storage.putFile('tasks/a/video.mp4', smallFile)).toEqual({ size: 1000 });
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
    const otherFile = path.join(files.dir, 'other.bin');
    writeFileSync(otherFile, other);
    await storage.putFile('tasks/b/video.mp4', smallFile);
    expect(await storage.putFile('tasks/b/video.mp4', otherFile)).toEqual({ size: 333 });
    expect(await storage.stat('tasks/b/video.mp4')).toEqual({ size: 333 });
    expect((await bytesOf(storage.read('tasks/b/video.mp4'))).equals(other)).toBe(true);
  });

  it('deletes an object, and deleting a missing key is no error', async () => {
    await storage.putFile('tasks/c/video.mp4', smallFile);
    await storage.delete('tasks/c/video.mp4');
    expect(await storage.stat('tasks/c/video.mp4')).toBeNull();
    await expect(storage.delete('tasks/c/video.mp4')).resolves.toBeUndefined();
    await expect(storage.delete('tasks/never/video.mp4')).resolves.toBeUndefined();
  });

  it('stores a 20 MB file (multipart on S3) and reads ranges across part boundaries', async () => {
    const big = randomBytes(20 * 1024 * 1024);
    const bigFile = path.join(files.dir, 'big.bin');
    writeFileSync(bigFile, big);
    expect(await storage.putFile('tasks/big/video.mp4', bigFile)).toEqual({ size: big.length });
    expect(await storage.stat('tasks/big/video.mp4')).toEqual({ size: big.length });
    expect((await bytesOf(storage.read('tasks/big/video.mp4'))).equals(big)).toBe(true);
    const boundary = 8 * 1024 * 1024;
    const got = await bytesOf(storage.read('tasks/big/video.mp4', { start: boundary - 10, end: boundary + 9 }));
    expect(got.equals(big.subarray(boundary - 10, boundary + 10))).toBe(true);
    const last = await bytesOf(storage.read('tasks/big/video.mp4', { start: big.length - 1, end: big.length - 1 }));
    expect(last.equals(big.subarray(big.length - 1))).toBe(true);
  }, 60_000);

  it('refuses an invalid key', async () => {
    await expect(storage.putFile('../escape', smallFile)).rejects.toThrow(/invalid storage key/);
  });
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
