/**
 * Signed, expiring result URLs, like Kling's hotlink-protected CDN links (spec §1.5, §1.12):
 * `/results/<taskId>/<file>?exp=<unix s>&sig=<HMAC>`. The expiry counts from the task's end, so a
 * task's URL is the same on every query until the TTL is changed.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type ResultLinks = {
  url(taskId: string, file: string, finishedAt: number, ttlSeconds: number): string;
  verify(taskId: string, file: string, exp: string | null, sig: string | null, now?: number): 'ok' | 'expired' | 'invalid';
};

export function createResultLinks(baseUrl: () => string): ResultLinks {
  // Per process: links die with the simulator, as its tasks do.
  const secret = randomBytes(32);
  const sign = (taskId: string, file: string, exp: number) => createHmac('sha256', secret).update(`${taskId}/${file}:${exp}`).digest('base64url');

  return {
    url(taskId, file, finishedAt, ttlSeconds) {
      const exp = Math.floor(finishedAt / 1000 + ttlSeconds);
      return `${baseUrl()}/results/${encodeURIComponent(taskId)}/${file}?exp=${exp}&sig=${sign(taskId, file, exp)}`;
    },
    verify(taskId, file, exp, sig, now = Date.now()) {
      if (exp === null || sig === null || !/^\d{1,12}$/.test(exp)) return 'invalid';
      const expected = Buffer.from(sign(taskId, file, Number(exp)));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      return now >= Number(exp) * 1000 ? 'expired' : 'ok';
    },
  };
}
