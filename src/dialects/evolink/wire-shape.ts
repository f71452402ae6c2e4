/**
 * Reading a client body against a zod shape, and naming a domain field on the client's wire.
 * Shared by the EvoLink and APIMart dialects (they share routes); both fail as an AppError whose
 * message starts with the wire field the client sent.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';

export const NOT_AN_OBJECT = 'request body must be a JSON object';

export const oneOf = (values: readonly string[]) => ({ error: `must be one of: ${values.join(', ')}` });
export const str = () => z.string({ error: 'must be a string' });
export const bool = () => z.boolean({ error: 'must be a boolean (true or false)' });
export const obj = <S extends z.ZodRawShape>(shape: S) => z.object(shape, { error: 'must be an object' });
export const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'must be an array' });
const HTTP_URL = 'must be an http(s) URL';
export const httpUrl = () =>
  z.string({ error: HTTP_URL }).refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), { error: HTTP_URL });

export function isObjectBody(body: unknown): body is Record<string, unknown> {
  try {
    return typeof body === 'object' && body !== null && !Array.isArray(body);
  } catch {
    // Array.isArray throws on a revoked proxy; such a value is no JSON object either.
    return false;
  }
}

/** Runs a zod shape over client data; its first issue becomes an AppError on the wire path. */
export function readShape<T>(schema: z.ZodType<T>, value: unknown): T {
  let result: z.ZodSafeParseResult<T>;
  try {
    result = schema.safeParse(value);
  } catch (cause) {
    // Only a value JSON.parse cannot produce (a throwing getter, a revoked proxy) gets here.
    throw new AppError('invalid_parameter', NOT_AN_OBJECT, { cause });
  }
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? []).reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`),
    '',
  );
  if (path === '') throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  throw new AppError('invalid_parameter', `${path} ${issue?.message ?? 'is invalid'}`, { field: path });
}

/** A JSON integer as the client sent it: a quoted number is an error, anything else not whole is NaN for the domain to report with its range. */
export function jsonInteger(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    throw new AppError('invalid_parameter', `${field} must be a plain JSON number such as 5, not a quoted string`, { field });
  }
  return Number.NaN;
}

/**
 * A shot's duration inside `multi_prompt`: a JSON integer, or a Kling-style digit string ("3")
 * since clients port multi_prompt bodies from the official API, whose shot durations are strings [I].
 */
export function shotSeconds(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^[1-9][0-9]{0,8}$/.test(value)) return Number(value);
  return Number.NaN;
}

export type WireNames = {
  /** The wire name of each top-level domain field. */
  heads: Readonly<Record<string, string>>;
  /** Wire names of nested domain names where they differ (`imageUrls` -> `element_input_urls`). */
  nested?: Readonly<Record<string, string>>;
  /** Where each sorted shot sat in the client's array, so a message points at what was sent. */
  shotPositions?: readonly number[];
};

/** A domain path (`shots[1].duration`) on the client's wire (`multi_prompt[<position>].duration`). */
export function wirePath(path: string, names: WireNames): string {
  const match = /^([A-Za-z]+)(?:\[(\d+)\])?(.*)$/.exec(path);
  if (!match) return path;
  const [, head = '', index, rest = ''] = match;
  const wire = Object.hasOwn(names.heads, head) ? names.heads[head] : head;
  const position = head === 'shots' && index !== undefined ? names.shotPositions?.[Number(index)] : undefined;
  const at = index === undefined ? '' : `[${position ?? index}]`;
  const tail = rest.replace(/[A-Za-z]+/g, (part) => (names.nested && Object.hasOwn(names.nested, part) ? (names.nested[part] as string) : part));
  return `${wire}${at}${tail}`;
}
