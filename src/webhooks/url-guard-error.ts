/** Why the URL guard refused or gave up on a URL; the message is written for the client to read. */

export const URL_GUARD_REFUSALS = [
  'invalid_url',
  'scheme',
  'private_address',
  'redirect',
  'http_status',
  'too_large',
  'timeout',
  'network',
] as const;
export type UrlGuardRefusal = (typeof URL_GUARD_REFUSALS)[number];

export class UrlGuardError extends Error {
  readonly refusal: UrlGuardRefusal;

  constructor(refusal: UrlGuardRefusal, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UrlGuardError';
    this.refusal = refusal;
  }
}

/** The UrlGuardError in `e` or its cause chain (undici may wrap a connect-time refusal). */
export function findUrlGuardError(e: unknown): UrlGuardError | null {
  let current: unknown = e;
  for (let depth = 0; depth < 8 && current !== null && current !== undefined; depth++) {
    if (current instanceof UrlGuardError) return current;
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined;
  }
  return null;
}
