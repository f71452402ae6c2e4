/** Runs a zod schema over client data; the first issue becomes an AppError naming the wire path. */
import type { z } from 'zod';
import { AppError } from '../../domain/errors.ts';

export const NOT_AN_OBJECT = 'request body must be a JSON object';

export function isObjectBody(body: unknown): body is object {
  try {
    return typeof body === 'object' && body !== null && !Array.isArray(body);
  } catch {
    // Array.isArray throws on a revoked proxy; such a value is no JSON object either.
    return false;
  }
}

/** `contents[2].url` from zod's `['contents', 2, 'url']`. */
export function wirePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`),
    '',
  );
}

/** `prefix` is the wire path of `value` inside the body (`contents[2]`), '' for the body itself. */
export function shape<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const whole = prefix === '' ? NOT_AN_OBJECT : `${prefix} must be an object`;
  let result: z.ZodSafeParseResult<T>;
  try {
    result = schema.safeParse(value);
  } catch (cause) {
    // Only a value JSON.parse cannot produce (a throwing getter, a revoked proxy) gets here.
    throw new AppError('invalid_parameter', whole, { cause });
  }
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const inner = wirePath(issue?.path ?? []);
  const field = prefix === '' ? inner : inner === '' ? prefix : inner.startsWith('[') ? `${prefix}${inner}` : `${prefix}.${inner}`;
  if (field === '') throw new AppError('invalid_parameter', whole);
  throw new AppError('invalid_parameter', `${field} ${issue?.message ?? 'is invalid'}`, { field });
}
