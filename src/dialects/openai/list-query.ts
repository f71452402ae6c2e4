/** The query of OpenAI's `GET /v1/videos`: `after` (a video id), `limit` 1-100, `order` asc | desc. */
import { AppError } from '../../domain/errors.ts';

export const LIST_LIMITS = { min: 1, max: 100, default: 20 } as const;

export type OpenAiListQuery = { after: string | null; limit: number; order: 'asc' | 'desc' };

export function parseOpenAiListQuery(query: { after?: string | undefined; limit?: string | undefined; order?: string | undefined }): OpenAiListQuery {
  const { after, limit, order } = query;
  // [I] OpenAI's list endpoints default to 20 items, newest first.
  let count: number = LIST_LIMITS.default;
  if (limit !== undefined && limit !== '') {
    count = /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(count >= LIST_LIMITS.min && count <= LIST_LIMITS.max)) {
      throw new AppError('invalid_parameter', `limit must be an integer between ${LIST_LIMITS.min} and ${LIST_LIMITS.max}`, { field: 'limit' });
    }
  }
  if (order !== undefined && order !== '' && order !== 'asc' && order !== 'desc') {
    throw new AppError('invalid_parameter', 'order must be one of: asc, desc', { field: 'order' });
  }
  return { after: after || null, limit: count, order: order === 'asc' ? 'asc' : 'desc' };
}
