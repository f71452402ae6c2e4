/**
 * Where a client may ask to be called back, checked when it names the URL (a create's callback
 * URL, a key's default webhook URL): EvoLink's rules (spec §2.4) for every dialect. HTTPS only,
 * no private, loopback, link-local or otherwise internal IP literal, no `localhost`, at most 2048
 * characters. A DNS name cannot be judged now (it may point elsewhere by the time of sending):
 * the URL guard checks every address it resolves to when it connects. The operator setting
 * REELAY_ALLOW_PRIVATE_URLS=true (`allowPrivate`) lets plain http and private targets through.
 */
import { LIMITS } from '../domain/video-request.ts';
import { literalAddress, nonPublicRange } from './public-address.ts';

/** Why `url` is refused, as a rule to read after the field's name; null when it is allowed. */
export function callbackUrlRule(url: string, options: { allowPrivate: boolean }): string | null {
  if (url.length > LIMITS.callbackUrlChars) return `must be at most ${LIMITS.callbackUrlChars} characters`;
  if (/\p{Cc}/u.test(url)) return 'must not contain control characters';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute https URL';
  }
  if (options.allowPrivate) return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? null : 'must be an absolute http(s) URL';
  if (parsed.protocol !== 'https:') return `must use https, not ${parsed.protocol.replace(/:$/, '')}`;
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  // RFC 6761: every name under localhost is loopback, whatever a resolver says.
  if (host === 'localhost' || host.endsWith('.localhost')) return `must point to a public address, not ${parsed.hostname}`;
  const literal = literalAddress(parsed.hostname);
  const range = literal === null ? null : nonPublicRange(literal);
  return range === null ? null : `must point to a public address, not ${literal} (${range})`;
}
