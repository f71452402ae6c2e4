/**
 * Which upstream callbacks wake a task (src/engine/callback-news.ts), read with the real Kling
 * callback parser: a callback that repeats what the task shows is not news; a status change, a
 * result, a failure, another task's body or an unreadable one is.
 */
import { describe, expect, it } from 'vitest';
import { callbackIsNews } from '../../src/engine/callback-news.ts';
import { klingCallbackStateOf } from '../../src/providers/kling/kling-answers.ts';

const UPSTREAM = '867283741759111202';
const kling = { parseCallback: (body: string, ref: { upstreamId: string }) => klingCallbackStateOf(body, ref.upstreamId) };
const body = (status: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({ task_id: UPSTREAM, task_status: status, task_status_msg: '', created_at: 1, updated_at: 2, ...over });
const queued = { status: 'queued' as const, upstreamId: UPSTREAM, kind: 'text2video' as const };
const running = { ...queued, status: 'running' as const };
const succeed = body('succeed', { task_result: { videos: [{ id: 'v1', url: 'https://cdn.example/v.mp4', duration: '5' }] } });

describe('callbackIsNews', () => {
  it('is not news: "submitted" for a task already accepted, or "processing" for one already running', () => {
    expect(callbackIsNews(queued, kling, body('submitted'))).toBe(false);
    expect(callbackIsNews(running, kling, body('processing'))).toBe(false);
    // A late "submitted" after "processing".
    expect(callbackIsNews(running, kling, body('submitted'))).toBe(false);
  });

  it('is news: "processing" for a queued task, a result, a failure', () => {
    expect(callbackIsNews(queued, kling, body('processing'))).toBe(true);
    expect(callbackIsNews(running, kling, succeed)).toBe(true);
    expect(callbackIsNews(queued, kling, succeed)).toBe(true);
    expect(callbackIsNews(running, kling, body('failed', { task_status_msg: 'risk control' }))).toBe(true);
  });

  it('is news when the body cannot be read for this upstream task, or there is nothing to read it with', () => {
    expect(callbackIsNews(running, kling, body('processing', { task_id: '999' }))).toBe(true);
    expect(callbackIsNews(running, kling, 'not json')).toBe(true);
    expect(callbackIsNews(running, kling, JSON.stringify({ id: 'task_x', status: 'processing' }))).toBe(true);
    expect(callbackIsNews(running, undefined, body('processing'))).toBe(true);
    expect(callbackIsNews(running, {}, body('processing'))).toBe(true);
    // Not yet accepted as far as the task knows (the submit's answer is still being written).
    expect(callbackIsNews({ ...queued, upstreamId: null }, kling, body('submitted'))).toBe(true);
  });
});
