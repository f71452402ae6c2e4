/**
 * Storage in an S3-compatible bucket (AWS S3, MinIO, s3rver in tests): large files go up in
 * parts, reads may ask for a byte range, and media links become presigned GETs (`presign`).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, Readable, pipeline } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isValidKey, type Storage } from './storage.ts';

export type S3Settings = {
  /** null = AWS itself (the region's endpoint). */
  endpoint: string | null;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  /** null = the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
};

/** Parts of a multipart upload, and how many go up at once. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
/** The longest lifetime SigV4 allows a presigned URL. */
const MAX_PRESIGN_SECONDS = 7 * 86400;

/** A client for the settings. Checksums only where S3 requires them: other servers (s3rver, older MinIO) do not know the newer ones. */
export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    // A copy: the SDK marks where credentials came from on the object itself (config's is frozen).
    ...(settings.credentials ? { credentials: { accessKeyId: settings.credentials.accessKeyId, secretAccessKey: settings.credentials.secretAccessKey } } : {}),
  });
}

function contentTypeOf(key: string): string {
  if (key.endsWith('.mp4')) return 'video/mp4';
  if (key.endsWith('.jpg') || key.endsWith('.jpeg')) return 'image/jpeg';
  if (key.endsWith('.png')) return 'image/png';
  if (key.endsWith('.webp')) return 'image/webp';
  return 'application/octet-stream';
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}

/** Passes the first `bytes` bytes on, then stops reading. */
function limitTo(bytes: number) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let left = bytes;
    for await (const chunk of source) {
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      yield part;
      if (left <= 0) return;
    }
  };
}

/** `presignClient` signs media links for the address clients use, when that is not `client`'s (an internal endpoint). */
export function createS3Storage(options: { client: S3Client; bucket: string; presignClient?: S3Client }): Storage {
  const { client, bucket } = options;
  const presigner = options.presignClient ?? client;
  const checked = (key: string): string => {
    if (!isValidKey(key)) throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
    return key;
  };

  return {
    async putFile(key, sourcePath) {
      const Key = checked(key);
      const { size } = await stat(sourcePath);
      // An object appears only when the upload completes: readers never see half a file.
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key, Body: createReadStream(sourcePath), ContentType: contentTypeOf(key), ContentLength: size },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      await upload.done();
      return { size };
    },
    async stat(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: checked(key) }));
        return { size: head.ContentLength ?? 0 };
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },
    read(key, range) {
      const out = new PassThrough();
      const abort = new AbortController();
      let body: Readable | undefined;
      out.once('close', () => {
        if (!body) abort.abort();
      });
      let Key: string;
      try {
        Key = checked(key);
      } catch (e) {
        process.nextTick(() => out.destroy(e as Error));
        return out;
      }
      client
        .send(new GetObjectCommand({ Bucket: bucket, Key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }), { abortSignal: abort.signal })
        .then(
          (res) => {
            if (out.destroyed) {
              (res.Body as Readable | undefined)?.destroy?.();
              return;
            }
            if (!(res.Body instanceof Readable)) {
              out.destroy(new Error(`s3 object ${key}: no readable body`));
              return;
            }
            body = res.Body;
            if (!range) {
              pipeline(body, out, () => {});
              return;
            }
            // Some S3-compatible servers answer more than was asked (s3rver reads `bytes=0-0`
            // as the whole object): check where the answer starts, and pass only the range on.
            const from = /^bytes (\d+)-/.exec(res.ContentRange ?? '')?.[1];
            if (from === undefined || Number(from) !== range.start) {
              body.destroy();
              out.destroy(new Error(`s3 object ${key}: the server did not honor the range ${range.start}-${range.end}`));
              return;
            }
            pipeline(body, limitTo(range.end - range.start + 1), out, () => {});
          },
          (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
        );
      return out;
    },
    async delete(key) {
      // S3 answers 204 for a key that is not there.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: checked(key) }));
    },
    presign(key, expiresInSeconds) {
      // SigV4 caps a presigned URL at 7 days; a longer Reelay link gets a fresh one each time it is used.
      const expiresIn = Math.min(MAX_PRESIGN_SECONDS, Math.max(1, Math.floor(expiresInSeconds)));
      return getSignedUrl(presigner, new GetObjectCommand({ Bucket: bucket, Key: checked(key) }), { expiresIn });
    },
  };
}
