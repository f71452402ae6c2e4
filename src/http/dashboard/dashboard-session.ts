/**
 * Dashboard sessions: signing in with an API key (or the master key) sets one cookie, signed
 * with a key derived from the server secret (hono's signed cookies, HMAC-SHA256), HttpOnly,
 * SameSite=Strict, scoped to /dashboard, Secure when the public URL is https. The cookie holds
 * the key id, an expiry and a random nonce, never the key itself. Every request checks the key
 * again (revoked or expired keys sign out at once, on every instance).
 *
 * Forms and the dashboard's fetches carry a CSRF token: an HMAC of the session cookie under
 * another derived key, so it needs no storage and changes with every sign-in. SameSite=Strict
 * already keeps other sites' requests from carrying the cookie; the token covers browsers and
 * proxies where that does not hold.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { MASTER_KEY_ID, type ApiKeyStore } from '../../store/api-keys.ts';

export const SESSION_COOKIE = 'reelay_session';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** A working day: long enough not to interrupt, short enough that a forgotten browser signs out. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export type DashboardSession = {
  keyId: string;
  isMaster: boolean;
  /** The key's name (master: "master key"). */
  name: string;
  csrf: string;
  expiresAt: number;
};

export type SessionKeys = {
  /** Signs the cookie. */
  cookie: Buffer;
  /** Derives the CSRF token from the cookie. */
  csrf: Buffer;
};

export type SessionStore = {
  /** Sets the cookie for `keyId`; answers the new session. */
  start(c: Context, keyId: string): Promise<DashboardSession | null>;
  /** The request's session, or null (no cookie, a bad signature, expired, or the key is gone). */
  read(c: Context): Promise<DashboardSession | null>;
  end(c: Context): void;
  /** True when `token` is the session's CSRF token. */
  checkCsrf(session: DashboardSession, token: string | undefined): boolean;
};

/**
 * The master key is part of the cookie key: a master key replaced (say, after a leak) signs out
 * every session, the master's included, at once; an API key's sessions end when it is revoked.
 */
export function deriveSessionKeys(secret: Buffer, masterKey: string): SessionKeys {
  const sub = (purpose: string) => createHmac('sha256', secret).update(purpose).update('\0').update(masterKey).digest();
  return { cookie: sub('dashboard-session-cookie'), csrf: sub('dashboard-session-csrf') };
}

export function createSessionStore(deps: { keys: ApiKeyStore; sessionKeys: SessionKeys; secureCookies: () => boolean; now: () => number }): SessionStore {
  const csrfOf = (cookieValue: string) => createHmac('sha256', deps.sessionKeys.csrf).update(cookieValue).digest('base64url');

  async function describe(keyId: string, now: number): Promise<Pick<DashboardSession, 'isMaster' | 'name'> | null> {
    if (keyId === MASTER_KEY_ID) return { isMaster: true, name: 'master key' };
    const key = await deps.keys.get(keyId);
    if (!key || key.revoked_at !== null || (key.limits.expiresAt !== null && key.limits.expiresAt <= now)) return null;
    return { isMaster: false, name: key.name };
  }

  return {
    async start(c, keyId) {
      const now = deps.now();
      const who = await describe(keyId, now);
      if (!who) return null;
      const expiresAt = now + SESSION_TTL_MS;
      const value = `${keyId}.${expiresAt}.${randomBytes(12).toString('base64url')}`;
      await setSignedCookie(c, SESSION_COOKIE, value, deps.sessionKeys.cookie, {
        path: '/dashboard',
        httpOnly: true,
        sameSite: 'Strict',
        secure: deps.secureCookies(),
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
      return { keyId, ...who, csrf: csrfOf(value), expiresAt };
    },

    async read(c) {
      const value = await getSignedCookie(c, deps.sessionKeys.cookie, SESSION_COOKIE);
      if (typeof value !== 'string') return null;
      const match = /^([A-Za-z0-9_]+)\.(\d{1,16})\.[A-Za-z0-9_-]+$/.exec(value);
      if (!match?.[1] || !match[2]) return null;
      const expiresAt = Number(match[2]);
      const now = deps.now();
      if (expiresAt <= now) return null;
      const who = await describe(match[1], now);
      return who ? { keyId: match[1], ...who, csrf: csrfOf(value), expiresAt } : null;
    },

    end(c) {
      deleteCookie(c, SESSION_COOKIE, { path: '/dashboard', secure: deps.secureCookies() });
    },

    checkCsrf(session, token) {
      if (typeof token !== 'string' || token.length === 0) return false;
      const a = Buffer.from(token);
      const b = Buffer.from(session.csrf);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
