/**
 * The Kling legacy API's bearer token: a JWT signed with the channel's secret key (spec §1.2).
 * Kling lets a token live 30 min (`exp`); we use one for at most 25, so a token is never sent in
 * the last minutes of its life, when clock skew or a slow queue could make Kling see it expired.
 */
import { SignJWT } from 'jose';

export type KlingTokenSource = {
  /** A token valid now: the cached one while it is younger than 25 min, else a freshly signed one. */
  token(): Promise<string>;
  /** Forget the cached token (Kling said 1003/1004), so the next call signs anew. */
  invalidate(): void;
};

export type KlingTokenOptions = {
  accessKey: string;
  secretKey: string;
  /** Milliseconds since the epoch (Date.now in production). */
  now: () => number;
};

const LIFETIME_SECONDS = 1800;
/** Kling's own sample back-dates `nbf` by 5 s, for a server clock slightly behind ours. */
const NOT_BEFORE_SLACK_SECONDS = 5;
const REUSE_MS = 25 * 60 * 1000;

export function createKlingTokenSource(options: KlingTokenOptions): KlingTokenSource {
  const key = new TextEncoder().encode(options.secretKey);
  let cached: { token: Promise<string>; signedAt: number } | null = null;

  async function sign(nowMs: number): Promise<string> {
    const now = Math.floor(nowMs / 1000);
    // Claims exactly as Kling's samples write them, in this order (the test vector depends on it).
    return new SignJWT({ iss: options.accessKey, exp: now + LIFETIME_SECONDS, nbf: now - NOT_BEFORE_SLACK_SECONDS })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(key);
  }

  return {
    token() {
      const now = options.now();
      const age = cached === null ? Infinity : now - cached.signedAt;
      // A negative age means the clock went back: the old token's nbf may now lie in the future.
      if (cached === null || age < 0 || age >= REUSE_MS) {
        const signing = sign(now);
        // Concurrent callers share one signing; a failed signing is not cached.
        cached = { token: signing, signedAt: now };
        signing.catch(() => {
          if (cached?.token === signing) cached = null;
        });
      }
      return cached.token;
    },
    invalidate() {
      cached = null;
    },
  };
}
