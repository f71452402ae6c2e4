/** The simulator authenticates as the official legacy API does (spec §1.2, §1.8): real jose-signed tokens. */
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KlingSim } from '../../tools/kling-sim/sim-server.ts';
import { tempDir } from '../support/temp-dir.ts';
import { ACCESS_KEY, kling, signToken, startSim } from './sim-helpers.ts';

// Spec §1.2: AK_TEST / SK_TEST, exp 1700001800, nbf 1699999995.
const TEST_VECTOR =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBS19URVNUIiwiZXhwIjoxNzAwMDAxODAwLCJuYmYiOjE2OTk5OTk5OTV9.6L4y5-2k74trk6jmaKXDAvqPATo_9aKYSk-HhIQYesk';

describe('Kling simulator authentication', () => {
  const tmp = tempDir('kling-sim-auth-');
  let sim: KlingSim;
  beforeAll(async () => {
    sim = await startSim(tmp.dir, {
      accounts: [
        { accessKey: ACCESS_KEY, secretKey: 'sim-secret-key', concurrency: 5 },
        { accessKey: 'AK_TEST', secretKey: 'SK_TEST', concurrency: 5 },
      ],
    });
  });
  afterAll(async () => {
    await sim.close();
    tmp.remove();
  });

  const list = (authorization: string | null) => kling(sim, '/v1/videos/text2video', { authorization });

  it('accepts a token made like the official samples', async () => {
    const answer = await list(`Bearer ${await signToken()}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ code: 0, message: 'SUCCEED', data: [] });
  });

  it('answers 1001 when Authorization is missing or empty', async () => {
    for (const authorization of [null, '', '   ']) {
      const answer = await list(authorization);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 1001, message: 'Authorization is empty' });
    }
  });

  it('answers 1002 when Authorization is not a Bearer JWT or names an unknown access key', async () => {
    for (const authorization of [`Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer not-a-jwt', 'Bearer', `Bearer ${await signToken({ accessKey: 'nobody' })}`]) {
      const answer = await list(authorization);
      expect(answer.status, authorization).toBe(401);
      expect(answer.body.code, authorization).toBe(1002);
    }
  });

  it('answers 1000 when the signature does not match the secret key', async () => {
    const answer = await list(`Bearer ${await signToken({ secretKey: 'wrong-secret' })}`);
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe(1000);
  });

  it('answers 1003 when nbf is in the future and 1004 when exp is past', async () => {
    const now = Math.floor(Date.now() / 1000);
    const early = await list(`Bearer ${await signToken({ nbf: now + 600 })}`);
    expect(early.status).toBe(401);
    expect(early.body).toMatchObject({ code: 1003, message: expect.stringContaining('nbf') });
    const late = await list(`Bearer ${await signToken({ exp: now - 10, nbf: now - 100 })}`);
    expect(late.status).toBe(401);
    expect(late.body).toMatchObject({ code: 1004, message: expect.stringContaining('exp') });
  });

  it('verifies the spec test vector with AK_TEST / SK_TEST (expired now, so 1004, not a signature failure)', async () => {
    const { payload, protectedHeader } = await jwtVerify(TEST_VECTOR, new TextEncoder().encode('SK_TEST'), {
      algorithms: ['HS256'],
      currentDate: new Date(1_700_000_000_000),
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({ iss: 'AK_TEST', exp: 1_700_001_800, nbf: 1_699_999_995 });
    expect((await list(`Bearer ${TEST_VECTOR}`)).body.code).toBe(1004);
    const tampered = `${TEST_VECTOR.slice(0, -1)}${TEST_VECTOR.endsWith('k') ? 'A' : 'k'}`;
    expect((await list(`Bearer ${tampered}`)).body.code).toBe(1000);
  });
});
