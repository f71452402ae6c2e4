/**
 * AK/SK JWT authentication as the official legacy API does it (spec §1.2, §1.8), mirroring
 * Reelay's own src/http/authenticate.ts: empty -> 1001; not `Bearer <jwt>`, undecodable or an
 * unknown `iss` -> 1002 (Reelay answers an unknown access key as "invalid" too); a bad
 * signature -> 1000; `nbf` in the future -> 1003; `exp` past -> 1004. All HTTP 401.
 */
import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { KlingSimError } from './sim-errors.ts';
import type { SimAccount } from './sim-types.ts';

export type SimAuthenticator = (authorization: string | undefined) => Promise<SimAccount>;

export function createSimAuth(accounts: readonly SimAccount[]): SimAuthenticator {
  const byAccessKey = new Map(accounts.map((a) => [a.accessKey, { account: a, key: new TextEncoder().encode(a.secretKey) }]));

  return async (authorization) => {
    const header = authorization?.trim() ?? '';
    if (header === '') throw new KlingSimError(1001, 'Authorization is empty');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new KlingSimError(1002, 'Authorization is invalid: expected "Bearer <token>"');
    const token = match[1];
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new KlingSimError(1002, 'Authorization is invalid: the token is not a valid JWT');
    }
    const entry = typeof issuer === 'string' ? byAccessKey.get(issuer) : undefined;
    if (!entry) throw new KlingSimError(1002, 'Authorization is invalid: unknown access key (iss)');
    try {
      await jwtVerify(token, entry.key, { algorithms: ['HS256'], requiredClaims: ['exp'] });
    } catch (e) {
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw new KlingSimError(1000, 'Authentication failed: signature mismatch');
      if (e instanceof joseErrors.JWTExpired) throw new KlingSimError(1004, 'Authorization has expired (exp)');
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'nbf') {
        throw new KlingSimError(1003, 'Authorization is not yet valid (nbf)');
      }
      throw new KlingSimError(1002, `Authorization is invalid: ${(e as Error).message}`);
    }
    return entry.account;
  };
}
