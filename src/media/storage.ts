/** Object storage for finished media: local disk (disk-storage.ts) or an S3-compatible bucket (s3-storage.ts). */
import type { Readable } from 'node:stream';

export type StoredObject = { size: number };

export type ByteRange = { start: number; end: number };

export type Storage = {
  /**
   * Takes a local file in under `key` (atomically: readers never see half a file). The source is
   * the caller's scratch file and may be moved rather than copied: it is not there afterwards.
   */
  putFile(key: string, sourcePath: string): Promise<StoredObject>;
  /** Size of the object, or null when there is none. */
  stat(key: string): Promise<StoredObject | null>;
  /** The whole object, or the inclusive byte range. */
  read(key: string, range?: ByteRange): Readable;
  /**
   * The inclusive byte range in one buffer: one read, no stream (the media route sends disk
   * downloads chunk by chunk with it). Read into `into` when given (at least the range's length;
   * the answer is then the filled start of it). Absent: `read` serves every download. Rejects
   * when the object is gone or shorter than the range.
   */
  readSlice?(key: string, range: ByteRange, into?: Buffer): Promise<Buffer>;
  /** Removes the object; a missing key is no error. */
  delete(key: string): Promise<void>;
  /**
   * A URL the client may GET the object from directly for `expiresInSeconds` (S3: a presigned
   * GET). Absent (disk): the media route streams the object itself.
   */
  presign?(key: string, expiresInSeconds: number): Promise<string>;
};

/** Keys are slash-separated segments of [A-Za-z0-9._-], none of them `.` or `..`. */
export function isValidKey(key: string): boolean {
  return key.length > 0 && key.length <= 512 && key.split('/').every((s) => /^[A-Za-z0-9._-]+$/.test(s) && s !== '.' && s !== '..');
}
