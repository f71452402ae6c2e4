/**
 * The per-task, unguessable callback address Reelay gives an upstream: the task id and an HMAC of
 * it, so no table of tokens is needed and a guessed task id alone wakes nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const UPSTREAM_CALLBACK_PATH = '/callbacks/upstream';

export type UpstreamCallbackTokens = {
  /** The full URL for task `taskId` under the public base URL. */
  url(taskId: string): string;
  /** True when `token` is the one minted for `taskId`. */
  verify(taskId: string, token: string): boolean;
};

export function createUpstreamCallbackTokens(key: Buffer, publicUrl: () => string): UpstreamCallbackTokens {
  const tokenOf = (taskId: string) => createHmac('sha256', key).update(taskId).digest('base64url').slice(0, 32);
  return {
    url: (taskId) => `${publicUrl()}${UPSTREAM_CALLBACK_PATH}/${encodeURIComponent(taskId)}/${tokenOf(taskId)}`,
    verify(taskId, token) {
      const expected = Buffer.from(tokenOf(taskId));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
