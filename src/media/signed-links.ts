/**
 * Reelay's own media links: `<public url>/media/<key>?exp=<unix seconds>&sig=<hmac>`. The HMAC
 * covers key and expiry, so an altered or expired link is refused (403) without a database read.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkSigner = {
  /** A link to `key` valid for `ttlSeconds` from `now` (ms). */
  url(key: string, now?: number): string;
  /** Seconds a new link stays valid. */
  readonly ttlSeconds: number;
  /** The verdict on a request for `key` with the link's `exp` and `sig` query values. */
  verify(key: string, exp: string | undefined, sig: string | undefined, now?: number): 'ok' | 'expired' | 'invalid';
};

export function createLinkSigner(options: { secret: Buffer; baseUrl: () => string; ttlSeconds: number }): LinkSigner {
  const sign = (key: string, exp: number) => createHmac('sha256', options.secret).update(`${key}\n${exp}`).digest('base64url');

  return {
    ttlSeconds: options.ttlSeconds,
    url(key, now = Date.now()) {
      const exp = Math.floor(now / 1000) + options.ttlSeconds;
      const encodedKey = key.split('/').map(encodeURIComponent).join('/');
      return `${options.baseUrl()}/media/${encodedKey}?exp=${exp}&sig=${sign(key, exp)}`;
    },
    verify(key, exp, sig, now = Date.now()) {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return 'invalid';
      const expected = Buffer.from(sign(key, Number(exp)));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      return Number(exp) * 1000 < now ? 'expired' : 'ok';
    },
  };
}
