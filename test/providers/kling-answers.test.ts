import { describe, expect, it } from 'vitest';
import { klingEnvelopeOf, klingStateOf, klingTaskIdOf } from '../../src/providers/kling/kling-answers.ts';
import { classOfKlingCode, httpAnswerError, klingCodeError } from '../../src/providers/kling/kling-errors.ts';
import { newApiStateOf, newApiTaskIdOf } from '../../src/providers/kling/newapi-answers.ts';
import { UpstreamError, type UpstreamErrorClass } from '../../src/providers/upstream-error.ts';
import type { UpstreamResponse } from '../../src/providers/upstream-http.ts';

function caught(f: () => unknown): UpstreamError {
  try {
    f();
  } catch (e) {
    if (e instanceof UpstreamError) return e;
    throw e;
  }
  throw new Error('expected an UpstreamError');
}

const task = (over: Record<string, unknown>) => ({ task_id: '867283741759111202', task_status_msg: '', created_at: 1, updated_at: 2, ...over });

describe('Kling answers', () => {
  it('reads the create envelope of §1.4', () => {
    const envelope = klingEnvelopeOf({
      code: 0,
      message: 'SUCCEED',
      request_id: 'c0656403-1e6e-4b7e-b8f8-2cdd2595f2b9',
      data: { task_id: '867283741759111202', task_status: 'submitted', task_info: { external_task_id: 'x' }, created_at: 1774805076166, updated_at: 1774805076166 },
    });
    expect(envelope).toMatchObject({ code: 0, message: 'SUCCEED', requestId: 'c0656403-1e6e-4b7e-b8f8-2cdd2595f2b9' });
    expect(klingTaskIdOf(envelope?.data)).toBe('867283741759111202');
  });

  it('reads a numeric-string code as a number and calls anything else no envelope', () => {
    expect(klingEnvelopeOf({ code: '1303', message: 'busy' })?.code).toBe(1303);
    expect(klingEnvelopeOf({ code: 'task_not_exist', message: 'x', data: null })).toBeNull();
    expect(klingEnvelopeOf('<html>')).toBeNull();
    expect(klingEnvelopeOf(undefined)).toBeNull();
  });

  it('maps submitted to queued and processing to running, with no progress', () => {
    expect(klingStateOf(task({ task_status: 'submitted' }))).toEqual({ state: 'pending', phase: 'queued', progress: null });
    expect(klingStateOf(task({ task_status: 'processing' }))).toEqual({ state: 'pending', phase: 'running', progress: null });
  });

  it("takes another Reelay's progress extension while running", () => {
    expect(klingStateOf(task({ task_status: 'processing', reelay: { progress: 42 } }))).toMatchObject({ progress: 42 });
    expect(klingStateOf(task({ task_status: 'processing', reelay: { progress: 'lots' } }))).toMatchObject({ progress: null });
  });

  it('reads a success with fractional durations, watermark URLs and the units charged', () => {
    const state = klingStateOf(
      task({
        task_status: 'succeed',
        task_result: {
          videos: [
            { id: 'v1', url: 'https://cdn.example/a.mp4', watermark_url: 'https://cdn.example/a-wm.mp4', duration: '5.042' },
            { id: 'v2', url: 'https://cdn.example/b.mp4', watermark_url: '', duration: '5.354' },
            { id: 'v3', url: 'https://cdn.example/c.mp4' },
          ],
        },
        final_unit_deduction: '4.5',
      }),
    );
    expect(state).toEqual({
      state: 'succeeded',
      videos: [
        { url: 'https://cdn.example/a.mp4', watermarkUrl: 'https://cdn.example/a-wm.mp4', durationSeconds: 5.042 },
        { url: 'https://cdn.example/b.mp4', watermarkUrl: null, durationSeconds: 5.354 },
        { url: 'https://cdn.example/c.mp4', watermarkUrl: null, durationSeconds: null },
      ],
      unitsCharged: 4.5,
    });
  });

  it("reads the new design's `succeeded` as success too (§7.2), units unknown when absent or empty", () => {
    const videos = [{ id: '', url: 'http://example.com/aigcVideoGenFile.mp4', watermark_url: '', duration: '5.042' }];
    expect(klingStateOf(task({ task_status: 'succeeded', task_result: { videos } }))).toMatchObject({ state: 'succeeded', unitsCharged: null });
    expect(klingStateOf(task({ task_status: 'succeed', task_result: { videos }, final_unit_deduction: '' }))).toMatchObject({ unitsCharged: null });
  });

  it("fails with Kling's message, or says it gave none", () => {
    expect(klingStateOf(task({ task_status: 'failed', task_status_msg: 'content moderation triggered' }))).toEqual({ state: 'failed', message: 'content moderation triggered' });
    expect(klingStateOf(task({ task_status: 'failed', task_status_msg: '' }))).toEqual({ state: 'failed', message: expect.stringMatching(/without a reason/) });
  });

  it('calls an answer that does not parse ambiguous bad_answer, saying what was wrong', () => {
    const unknown = caught(() => klingStateOf(task({ task_status: 'rendering' })));
    expect(unknown).toMatchObject({ errorClass: 'ambiguous', code: 'bad_answer' });
    expect(unknown.message).toContain('data.task_status');
    expect(caught(() => klingTaskIdOf({ task_status: 'submitted' })).message).toContain('data.task_id');
    expect(caught(() => klingStateOf(null))).toMatchObject({ errorClass: 'ambiguous', code: 'bad_answer' });
    const empty = caught(() => klingStateOf(task({ task_status: 'succeed', task_result: { videos: [] } })));
    expect(empty.message).toMatch(/videos is empty/);
  });
});

describe('Kling error codes (§1.8)', () => {
  const TABLE: [number, number, UpstreamErrorClass][] = [
    [401, 1000, 'channel'],
    [401, 1001, 'channel'],
    [401, 1002, 'channel'],
    [401, 1003, 'channel'],
    [401, 1004, 'channel'],
    [429, 1100, 'channel'],
    [429, 1101, 'channel'],
    [429, 1102, 'channel'],
    [403, 1103, 'channel'],
    [400, 1200, 'rejected'],
    [400, 1201, 'rejected'],
    [404, 1202, 'rejected'],
    [404, 1203, 'rejected'],
    [400, 1300, 'rejected'],
    [400, 1301, 'rejected'],
    [429, 1302, 'throttled'],
    [429, 1303, 'throttled'],
    [429, 1304, 'channel'],
    [500, 5000, 'ambiguous'],
    [503, 5001, 'ambiguous'],
    [504, 5002, 'ambiguous'],
  ];

  it.each(TABLE)('HTTP %i code %i is %s', (status, code, errorClass) => {
    expect(classOfKlingCode(code, status)).toBe(errorClass);
    const e = klingCodeError({ status, headers: {} }, code, 'Kling says no');
    expect(e).toMatchObject({ errorClass, code: String(code), message: 'Kling says no', httpStatus: status, retryAfterMs: null });
  });

  it('classes the same code the same on HTTP 200', () => {
    expect(classOfKlingCode(1301, 200)).toBe('rejected');
    expect(classOfKlingCode(1303, 200)).toBe('throttled');
  });

  it('classes an unknown code by its HTTP status', () => {
    expect(classOfKlingCode(1999, 429)).toBe('throttled');
    expect(classOfKlingCode(1999, 502)).toBe('ambiguous');
    expect(classOfKlingCode(1999, 400)).toBe('rejected');
    expect(classOfKlingCode(1999, 404)).toBe('not_found');
  });

  it('takes the wait from Retry-After when there is one', () => {
    expect(klingCodeError({ status: 429, headers: { 'retry-after': '7' } }, 1303, 'parallel task over resource pack limit').retryAfterMs).toBe(7000);
  });
});

function response(status: number, text: string, headers: Record<string, string> = {}): UpstreamResponse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, json, text };
}

describe('answers without a Kling envelope', () => {
  it('classes a bare HTTP error by its status and quotes the body', () => {
    const e = httpAnswerError(response(502, '<html>Bad Gateway</html>'));
    expect(e).toMatchObject({ errorClass: 'ambiguous', code: 'http_502', httpStatus: 502 });
    expect(e.message).toContain('Bad Gateway');
    expect(httpAnswerError(response(429, '', { 'retry-after': '2' }))).toMatchObject({ errorClass: 'throttled', retryAfterMs: 2000 });
    expect(httpAnswerError(response(404, ''))).toMatchObject({ errorClass: 'not_found', code: 'http_404' });
  });

  it("reads new-api's error shapes (§3.5)", () => {
    expect(httpAnswerError(response(400, '{"code":"task_not_exist","message":"task_not_exist","data":null}'))).toMatchObject({ errorClass: 'not_found', code: 'task_not_exist' });
    expect(httpAnswerError(response(400, '{"code":"task_failed","message":"parameter error","data":null}'))).toMatchObject({ errorClass: 'rejected', code: 'task_failed', message: 'parameter error' });
    const openAiStyle = '{"error":{"message":"invalid token (request id: x)","type":"new_api_error","code":"invalid_api_key"}}';
    expect(httpAnswerError(response(401, openAiStyle))).toMatchObject({ errorClass: 'channel', code: 'invalid_api_key', message: 'invalid token (request id: x)' });
  });

  it("reads stock new-api's create and query answers", () => {
    expect(newApiTaskIdOf({ id: 'task_abc', task_id: 'task_abc', object: 'video', status: 'queued', progress: 0, created_at: 1 })).toBe('task_abc');
    const record = (data: Record<string, unknown>) => ({ code: 'success', message: '', data: { task_id: 'task_abc', fail_reason: '', result_url: '', progress: '10%', ...data } });
    expect(newApiStateOf(record({ status: 'SUBMITTED' }))).toEqual({ state: 'pending', phase: 'queued', progress: null });
    expect(newApiStateOf(record({ status: 'IN_PROGRESS', progress: '30%' }))).toEqual({ state: 'pending', phase: 'running', progress: 30 });
    expect(newApiStateOf(record({ status: 'SUCCESS', result_url: 'https://cdn.example/o.mp4' }))).toEqual({
      state: 'succeeded',
      videos: [{ url: 'https://cdn.example/o.mp4', watermarkUrl: null, durationSeconds: null }],
      unitsCharged: null,
    });
    expect(newApiStateOf(record({ status: 'FAILURE', fail_reason: 'moderation' }))).toEqual({ state: 'failed', message: 'moderation' });
    expect(caught(() => newApiStateOf(record({ status: 'UNKNOWN' })))).toMatchObject({ errorClass: 'ambiguous', code: 'bad_answer' });
  });
});
