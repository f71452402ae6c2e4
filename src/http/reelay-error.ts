/** Reelay's own error envelope, for routes that belong to no client dialect (admin, media). */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export function reelayError(c: Context, status: ContentfulStatusCode, code: string, message: string) {
  const requestId: unknown = c.get('requestId');
  return c.json({ error: { code, message, ...(typeof requestId === 'string' ? { request_id: requestId } : {}) } }, status);
}
