import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { parseTaskListBody, parseTaskRefs } from '../../src/dialects/kling-new/parse-task-queries.ts';
import { appErrorOf } from '../support/app-error.ts';

const NOW = 1_800_000_000_000;
const DAY = 86_400_000;

function refusal(run: () => unknown): AppError {
  const error = appErrorOf(run, 'accepted');
  expect(error.code).toBe('invalid_parameter');
  return error;
}

describe('GET /tasks query: task_ids or external_task_ids', () => {
  it('splits a comma list, trims, drops blanks and repeats', () => {
    expect(parseTaskRefs({ task_ids: '1, 2,,2 ,3' })).toEqual({ by: 'public', ids: ['1', '2', '3'] });
    expect(parseTaskRefs({ external_task_ids: 'x' })).toEqual({ by: 'external', ids: ['x'] });
  });

  it('wants exactly one kind of list, naming both parameters', () => {
    expect(refusal(() => parseTaskRefs({})).message).toBe('task_ids or external_task_ids: one of them is required');
    expect(refusal(() => parseTaskRefs({ task_ids: '1', external_task_ids: 'x' })).message).toBe('task_ids or external_task_ids: give only one of them');
    expect(refusal(() => parseTaskRefs({ task_ids: ' , ' })).message).toBe('task_ids must list at least one id');
    const many = Array.from({ length: 501 }, (_, i) => String(i)).join(',');
    expect(refusal(() => parseTaskRefs({ external_task_ids: many })).message).toBe('external_task_ids must list at most 500 ids');
  });
});

describe('POST /tasks body', () => {
  it('defaults to the last 30 days, 100 tasks, no filters', () => {
    expect(parseTaskListBody({}, NOW)).toEqual({ from: NOW - 30 * DAY, to: NOW, cursor: null, limit: 100, statuses: undefined, kinds: undefined });
  });

  it('reads ms strings (and numbers), the cursor and the limit; the window defaults from end_time', () => {
    expect(parseTaskListBody({ end_time: String(NOW - DAY), cursor: 'abc', limit: 500 }, NOW)).toMatchObject({ from: NOW - 31 * DAY, to: NOW - DAY, cursor: 'abc', limit: 500 });
    expect(parseTaskListBody({ start_time: 5, end_time: '10', limit: '7', cursor: '' }, NOW)).toMatchObject({ from: 5, to: 10, limit: 7, cursor: null });
  });

  it('maps status words onto Reelay statuses (failed covers canceled) and product_type onto kinds', () => {
    const q = parseTaskListBody({ filters: [{ key: 'status', values: ['succeeded', 'failed'] }, { key: 'product_type', values: ['video'] }] }, NOW);
    expect(q.statuses).toEqual(['completed', 'failed', 'canceled']);
    expect(q.kinds).toEqual(['text2video', 'image2video']);
    expect(parseTaskListBody({ filters: [{ key: 'product_type', values: ['image', 'try_on'] }] }, NOW).kinds).toEqual([]);
    // Two filters on one key must both hold.
    expect(parseTaskListBody({ filters: [{ key: 'status', values: ['submitted', 'processing'] }, { key: 'status', values: ['processing'] }] }, NOW).statuses).toEqual(['running']);
  });

  it('names the field and the rule of every bad value', () => {
    const cases: Array<[unknown, string]> = [
      [{ start_time: '2024-01-01' }, 'start_time must be a Unix time in milliseconds (a string of digits)'],
      [{ end_time: -1 }, 'end_time must be a Unix time in milliseconds (a string of digits)'],
      [{ start_time: '20', end_time: '10' }, 'start_time must not be later than end_time'],
      [{ limit: 0 }, 'limit must be an integer between 1 and 500'],
      [{ limit: 501 }, 'limit must be an integer between 1 and 500'],
      [{ limit: 'ten' }, 'limit must be an integer between 1 and 500'],
      [{ limit: 2.5 }, 'limit must be an integer between 1 and 500'],
      [{ cursor: 5 }, 'cursor must be a string'],
      [{ filters: {} }, 'filters must be an array'],
      [{ filters: [{ key: 'model', values: ['x'] }] }, 'filters[0].key must be one of: status, product_type'],
      [{ filters: [{ key: 'status', values: [] }] }, 'filters[0].values must hold at least one value'],
      [{ filters: [{ key: 'status', values: ['succeed'] }] }, 'filters[0].values[0] must be one of: submitted, processing, succeeded, failed'],
      [{ filters: [{ key: 'product_type', values: ['video', 'audio'] }] }, 'filters[0].values[1] must be one of: video, image, try_on'],
      [[1], 'request body must be a JSON object'],
    ];
    for (const [body, message] of cases) expect(refusal(() => parseTaskListBody(body, NOW)).message).toBe(message);
  });
});
