/**
 * Kling's error codes (spec §1.8) sorted into the five UpstreamError classes. The Kling code is
 * kept as the error's code ("1303"), so logs and task failures show what Kling said.
 */
import { z } from 'zod';
import { classOfHttpStatus, UpstreamError, type UpstreamErrorClass } from '../upstream-error.ts';
import { retryAfterMs, type UpstreamResponse } from '../upstream-http.ts';

const CODE_CLASSES: ReadonlyMap<number, UpstreamErrorClass> = new Map([
  // Authentication (401): the channel's keys; a 1003/1004 is re-signed once before it lands here.
  ...[1000, 1001, 1002, 1003, 1004].map((c) => [c, 'channel'] as const),
  // Account (429/403): arrears, an exhausted pack, a model the account may not use.
  ...[1100, 1101, 1102, 1103].map((c) => [c, 'channel'] as const),
  // Parameters and content policy: this request, not this channel; the message is Kling's own.
  ...[1200, 1201, 1202, 1203, 1300, 1301].map((c) => [c, 'rejected'] as const),
  // Rate and concurrency (429): back-pressure, the task waits (§7.10).
  [1302, 'throttled'],
  [1303, 'throttled'],
  // An IP whitelist is the channel's setup: another channel may still work.
  [1304, 'channel'],
  // Internal error, maintenance, backlog timeout: the call may have taken effect.
  ...[5000, 5001, 5002].map((c) => [c, 'ambiguous'] as const),
]);

/** Codes that say the bearer token itself is not (yet, or any longer) valid. */
export const KLING_TOKEN_CODES: readonly number[] = [1003, 1004];

/** The class of a non-zero Kling code; a code the table lacks falls back to the HTTP status. */
export function classOfKlingCode(code: number, httpStatus: number): UpstreamErrorClass {
  return CODE_CLASSES.get(code) ?? classOfHttpStatus(httpStatus);
}

type ResponseHead = Pick<UpstreamResponse, 'status' | 'headers'>;

/** The error for an envelope whose `code` is not 0 (whatever the HTTP status: §1.4 says check it). */
export function klingCodeError(response: ResponseHead, code: number, message: string): UpstreamError {
  const text = message.trim() || `Kling answered code ${code}`;
  return new UpstreamError(classOfKlingCode(code, response.status), String(code), text, {
    httpStatus: response.status,
    retryAfterMs: retryAfterMs(response.headers),
  });
}

/**
 * The error for a non-2xx answer without a Kling envelope: a proxy's page, or a new-api error
 * (`{code: "task_not_exist", message}` or `{error: {code, message}}`, spec §3.5). Its class
 * comes from the HTTP status, except new-api's own word that the task does not exist.
 */
export function httpAnswerError(response: UpstreamResponse): UpstreamError {
  const named = namedError(response.json);
  const errorClass = named?.code === 'task_not_exist' ? 'not_found' : classOfHttpStatus(response.status);
  const snippet = response.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  const message = named?.message || `the upstream answered HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`;
  return new UpstreamError(errorClass, named?.code || `http_${response.status}`, message, {
    httpStatus: response.status,
    retryAfterMs: retryAfterMs(response.headers),
  });
}

// new-api's two error shapes (spec §3.5): the task relay's and the OpenAI-style one of its middleware.
const namedErrorSchema = z.union([
  z.object({ error: z.object({ code: z.union([z.string(), z.number()]).nullish(), message: z.string().nullish() }) }),
  z.object({ code: z.string(), message: z.string().nullish() }),
]);

function namedError(json: unknown): { code: string; message: string } | null {
  const parsed = namedErrorSchema.safeParse(json);
  if (!parsed.success) return null;
  const named = 'error' in parsed.data ? parsed.data.error : parsed.data;
  return { code: named.code === null || named.code === undefined ? '' : String(named.code), message: named.message ?? '' };
}
