import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newWebhookSecret } from '../../src/store/api-keys.ts';

describe('Standard Webhooks signatures', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reproduces the spec §1.7 official test vector and verifies it at the vector's time", () => {
    const secret = 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=';
    const body = '{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}';
    const signature = new Webhook(secret).sign('9876543210', new Date(1781080794 * 1000), body);
    expect(signature).toBe('v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1781080794 * 1000 + 30_000);
    const headers = { 'webhook-id': '9876543210', 'webhook-timestamp': '1781080794', 'webhook-signature': signature };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace('succeeded', 'failed'), headers)).toThrow();
  });

  it('mints whsec_ secrets of 32 random bytes that standardwebhooks accepts', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
    const wh = new Webhook(secret);
    const now = new Date();
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wh.sign('msg_1', now, '{}') };
    expect(wh.verify('{}', headers)).toEqual({});
  });
});
