import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKlingTokenSource } from '../../src/providers/kling/kling-jwt.ts';

// Spec §1.2: AK_TEST / SK_TEST, exp = 1700001800, nbf = 1699999995, i.e. signed at 1700000000 s.
const VECTOR =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBS19URVNUIiwiZXhwIjoxNzAwMDAxODAwLCJuYmYiOjE2OTk5OTk5OTV9.6L4y5-2k74trk6jmaKXDAvqPATo_9aKYSk-HhIQYesk';
const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

function source(clock: { now: number }) {
  return createKlingTokenSource({ accessKey: 'AK_TEST', secretKey: 'SK_TEST', now: () => clock.now });
}

describe('Kling JWT', () => {
  it('signs the spec test vector byte for byte', async () => {
    expect(await source({ now: T0 }).token()).toBe(VECTOR);
  });

  it('puts exactly iss, exp = now + 1800 and nbf = now - 5 in the claims, HS256 and typ JWT in the header', async () => {
    const token = await source({ now: T0 + 999 }).token();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({ iss: 'AK_TEST', exp: 1_700_001_800, nbf: 1_699_999_995 });
  });

  it('reuses a token for up to 25 minutes and signs a new one after', async () => {
    const clock = { now: T0 };
    const tokens = source(clock);
    const first = await tokens.token();
    clock.now = T0 + 25 * MINUTE - 1;
    expect(await tokens.token()).toBe(first);
    clock.now = T0 + 25 * MINUTE;
    const second = await tokens.token();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).nbf).toBe(1_700_000_000 + 25 * 60 - 5);
    clock.now = T0 + 40 * MINUTE;
    expect(await tokens.token()).toBe(second);
  });

  it('signs anew after invalidate()', async () => {
    const clock = { now: T0 };
    const tokens = source(clock);
    const first = await tokens.token();
    clock.now = T0 + MINUTE;
    expect(await tokens.token()).toBe(first);
    tokens.invalidate();
    const fresh = await tokens.token();
    expect(fresh).not.toBe(first);
    expect(decodeJwt(fresh).exp).toBe(1_700_000_060 + 1800);
  });

  it('signs anew when the clock went back, so nbf never lies in the future', async () => {
    const clock = { now: T0 };
    const tokens = source(clock);
    const first = await tokens.token();
    clock.now = T0 - MINUTE;
    const after = await tokens.token();
    expect(after).not.toBe(first);
    expect(decodeJwt(after).nbf).toBe(1_700_000_000 - 60 - 5);
  });
});
