/**
 * `Authorization: Bearer <key>` or, for drop-in use of Kling SDKs, `Bearer <JWT>` signed HS256
 * with the key's secret key, `iss` = its access key (spec §1.2). Distinct codes for empty,
 * invalid, not-yet-valid and expired credentials, as the official API answers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { AppError } from '../domain/errors.ts';
import type { Logger } from 'pino';
import { MASTER_KEY_ID, type ApiKeyStore } from '../store/api-keys.ts';
import type { Owner } from './app-env.ts';

export type Authenticator = (authorization: string | undefined) => Promise<Owner>;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares digests, so neither the content nor the length of the master key leaks in timing. */
function sameSecret(credential: string, secretDigest: Buffer): boolean {
  return timingSafeEqual(sha256(credential), secretDigest);
}

/** A key past its `expires_at` authenticates no more (checked on every request, so it holds across instances). */
function refuseExpired(expiresAt: number | null): void {
  if (expiresAt !== null && expiresAt <= Date.now()) {
    throw new AppError('auth_invalid', `Authorization is invalid: the key expired at ${new Date(expiresAt).toISOString()}`);
  }
}

export function createAuthenticator(deps: { keys: ApiKeyStore; masterKey: string; log: Logger }): Authenticator {
  const masterDigest = sha256(deps.masterKey);
  async function verifyJwt(token: string): Promise<Owner> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new AppError('auth_invalid', 'Authorization is invalid: the token is not a valid JWT');
    }
    let key: Awaited<ReturnType<ApiKeyStore['findByAccessKey']>> = null;
    try {
      key = typeof issuer === 'string' ? await deps.keys.findByAccessKey(issuer) : null;
    } catch (e) {
      // A secret sealed under another server secret (REELAY_SECRET changed): the key is unusable.
      deps.log.warn({ err: e }, 'cannot unseal the secret key of an access key; was REELAY_SECRET changed?');
    }
    if (!key) throw new AppError('auth_invalid', 'Authorization is invalid: unknown access key (iss)');
    refuseExpired(key.expiresAt);
    try {
      await jwtVerify(token, new TextEncoder().encode(key.secretKey), { algorithms: ['HS256'], requiredClaims: ['exp'] });
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw new AppError('auth_expired', 'Authorization has expired (exp)');
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'nbf') {
        throw new AppError('auth_not_yet_valid', 'Authorization is not yet valid (nbf)');
      }
      throw new AppError('auth_invalid', `Authorization is invalid: ${(e as Error).message}`);
    }
    return { keyId: key.id, isMaster: false };
  }

  return async (authorization) => {
    const header = authorization?.trim() ?? '';
    if (header === '') throw new AppError('auth_missing', 'Authorization is empty');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new AppError('auth_invalid', 'Authorization is invalid: expected "Bearer <key>"');
    const credential = match[1];
    if (sameSecret(credential, masterDigest)) return { keyId: MASTER_KEY_ID, isMaster: true };
    if (JWT_SHAPE.test(credential)) return verifyJwt(credential);
    const key = await deps.keys.findByKey(credential);
    if (!key) throw new AppError('auth_invalid', 'Authorization is invalid: unknown or revoked key');
    refuseExpired(key.expiresAt);
    return { keyId: key.id, isMaster: false };
  };
}
