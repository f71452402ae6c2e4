import { randomFillSync, randomInt, randomUUID } from 'node:crypto';
import { ulid } from 'ulid';

const ALNUM = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Random string over [0-9a-zA-Z] (or a smaller alphabet), from the CSPRNG without modulo bias. */
export function randomChars(length: number, alphabet: string = ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

// 2024-01-01T00:00:00Z. With 21 random bits below the millisecond count, ids stay 18 digits
// until about 2039 (10^17 / 2^21 ms ≈ 1.5 years after epoch is the first 18-digit value; the
// last is 10^18 / 2^21 ms ≈ 15 years after).
const KLING_EPOCH_MS = 1_704_067_200_000;

/** Official Kling task id: an 18-digit numeric string, sortable by creation time (spec §1.4). */
export function klingTaskId(now: number = Date.now()): string {
  const id = BigInt(now - KLING_EPOCH_MS) * 2_097_152n + BigInt(randomInt(2_097_152));
  return id.toString().padStart(18, '1');
}

/** new-api public task id: `task_` + 32 characters of [0-9a-zA-Z] (spec §3.2). */
export function newApiTaskId(): string {
  return `task_${randomChars(32)}`;
}

/**
 * CSPRNG bytes drawn from a pool refilled 4 KiB at a time, as Node's randomUUID does: one
 * randomBytes call per id cost more than the rest of building a create's two rows (profiled with
 * bench/create.ts). Each call returns fresh bytes, never handed out twice.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

export function randomHex(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > pool.length) throw new RangeError(`randomHex: bytes must be an integer from 0 to ${pool.length}`);
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** Internal task id: never shown to clients; time-ordered so inserts append to the index. */
export function internalId(now: number = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${randomHex(8)}`;
}

export function uuid(): string {
  return randomUUID();
}

/** EvoLink unified task id: `task-unified-<unix seconds>-<8 lowercase alnum>` (spec §2.1). */
export function evolinkTaskId(now: number = Date.now()): string {
  return `task-unified-${Math.floor(now / 1000)}-${randomChars(8, '0123456789abcdefghijklmnopqrstuvwxyz')}`;
}

/** APIMart task id: `task_` + a ULID (spec §5.1). */
export function apimartTaskId(now: number = Date.now()): string {
  return `task_${ulid(now)}`;
}

/** OpenAI video id: `video_` + 32 lowercase hex (OpenAI's own ids are `video_` + hex). */
export function openAiVideoId(): string {
  return `video_${randomHex(16)}`;
}
