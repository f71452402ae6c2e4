/**
 * Reading a client body against a zod shape, and naming a domain field on the client's wire.
 * Every dialect parses with these, so a bad body fails the same way in each: an AppError
 * `invalid_parameter` whose message starts with the wire field the client sent.
 * Imports only the domain (and zod): a dialect may use it, it knows no dialect.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';

export const NOT_AN_OBJECT = 'request body must be a JSON object';

export const oneOf = (values: readonly string[]) => ({ error: `must be one of: ${values.join(', ')}` });
export const str = () => z.string({ error: 'must be a string' });
export const num = () => z.number({ error: 'must be a number' });
/** EvoLink and APIMart (one set of routes) spell out the two values; the other dialects do not. */
export const TRUE_OR_FALSE = 'must be a boolean (true or false)';
export const bool = (message = 'must be a boolean') => z.boolean({ error: message });
export const obj = <S extends z.ZodRawShape>(shape: S) => z.object(shape, { error: 'must be an object' });
/** More items than any list field of any dialect takes (the most is 6 shots). */
export const MAX_LIST_ITEMS = 100;
/**
 * An array of `item`, its length checked before its items are read: zod reports every bad item,
 * and a 1 MiB body of 500,000 of them took 5 s of CPU (12 s for 1.5 MB of `{}` items in
 * element_list, whose route takes 28 MiB), stalling every other request of the process.
 */
export const list = <T extends z.ZodType>(item: T, max: { items: number; error: string } = { items: MAX_LIST_ITEMS, error: `must hold at most ${MAX_LIST_ITEMS} items` }) =>
  z.array(z.unknown(), { error: 'must be an array' }).max(max.items, { error: max.error }).pipe(z.array(item));
const INTEGER = { error: 'must be an integer' };
/** A JSON integer (a shot's `index`). */
export const int = () => z.number(INTEGER).int(INTEGER);
const HTTP_URL = 'must be an http(s) URL';
export const httpUrl = (message = HTTP_URL) =>
  z.string({ error: message }).refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), { error: message });

export function isObjectBody(body: unknown): body is Record<string, unknown> {
  try {
    return typeof body === 'object' && body !== null && !Array.isArray(body);
  } catch {
    // Array.isArray throws on a revoked proxy; such a value is no JSON object either.
    return false;
  }
}

/** The AppError of a field that breaks a rule: `<field> <rule>`, naming the field. */
export function fieldError(field: string, rule: string): AppError {
  return new AppError('invalid_parameter', `${field} ${rule}`, { field });
}

/** `contents[2].url` from zod's `['contents', 2, 'url']`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`),
    '',
  );
}

/**
 * Runs a zod shape over client data; its first issue becomes an AppError on the wire path.
 * `prefix` is the wire path of `value` inside the body (`contents[2]`), '' for the body itself.
 */
export function readShape<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
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
  const inner = issuePath(issue?.path ?? []);
  const field = prefix === '' ? inner : inner === '' ? prefix : inner.startsWith('[') ? `${prefix}${inner}` : `${prefix}.${inner}`;
  if (field === '') throw new AppError('invalid_parameter', whole);
  throw fieldError(field, issue?.message ?? 'is invalid');
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
 * A whole number as Kling writes it: a JSON number stays itself (the domain rejects fractions and
 * the range), a digit string ("5") is read; anything else is NaN, which the domain reports with
 * its range. Only Kling's own spellings: "05" or " 5" are not in its "3".."15" enum and would earn
 * a 1201 from Kling itself, so a client built against Reelay must not come to rely on them.
 */
export function digitInteger(value: unknown): number {
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
