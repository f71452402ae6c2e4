import { describe, expect, it } from 'vitest';
import { callbackUrlRule } from '../../src/webhooks/callback-target.ts';

const strict = { allowPrivate: false };
const relaxed = { allowPrivate: true };

describe('callback URL rules at create (EvoLink §2.4, every dialect)', () => {
  it.each([
    ['http://10.0.0.1/x', 'must use https, not http'],
    ['https://127.0.0.1/x', 'must point to a public address, not 127.0.0.1 (loopback)'],
    ['https://10.1.2.3/x', 'must point to a public address, not 10.1.2.3 (private network)'],
    ['https://169.254.169.254/latest', 'must point to a public address, not 169.254.169.254 (link-local)'],
    ['https://100.64.0.1/x', 'must point to a public address, not 100.64.0.1 (carrier-grade NAT 100.64.0.0/10)'],
    ['https://[::ffff:127.0.0.1]/x', 'must point to a public address, not ::ffff:7f00:1 (loopback)'],
    ['https://[::1]/x', 'must point to a public address, not ::1 (loopback)'],
    ['https://localhost/x', 'must point to a public address, not localhost'],
    ['https://LOCALHOST./x', 'must point to a public address, not localhost.'],
    ['https://api.localhost/x', 'must point to a public address, not api.localhost'],
    ['ftp://example.com/x', 'must use https, not ftp'],
    ['not a url', 'must be an absolute https URL'],
    [`https://example.com/${'a'.repeat(2049 - 'https://example.com/'.length)}`, 'must be at most 2048 characters'],
    ['https://example.com/\u0000', 'must not contain control characters'],
  ])('refuses %s: %s', (url, rule) => {
    expect(callbackUrlRule(url, strict)).toBe(rule);
  });

  it('accepts public https URLs up to 2048 characters; DNS names are left to the guard at send time', () => {
    expect(callbackUrlRule('https://example.com/hook', strict)).toBeNull();
    expect(callbackUrlRule('https://93.184.216.34:8443/hook?a=1', strict)).toBeNull();
    expect(callbackUrlRule(`https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`, strict)).toBeNull();
    expect(callbackUrlRule('https://internal.example/hook', strict)).toBeNull();
  });

  it('lets plain http and private targets through when the operator allows them, and nothing else', () => {
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'https://10.0.0.1/x', 'http://[::ffff:127.0.0.1]/x']) {
      expect(callbackUrlRule(url, relaxed)).toBeNull();
    }
    expect(callbackUrlRule('ftp://127.0.0.1/x', relaxed)).toBe('must be an absolute http(s) URL');
    expect(callbackUrlRule(`http://a/${'a'.repeat(2048)}`, relaxed)).toBe('must be at most 2048 characters');
  });
});
