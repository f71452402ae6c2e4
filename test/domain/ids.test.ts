import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apimartTaskId, evolinkTaskId, internalId, klingTaskId, newApiTaskId, openAiVideoId, uuid } from '../../src/domain/ids.ts';

describe('task ids in each dialect format', () => {
  it('Kling: 18 digits, increasing with time', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2025, 8, 1), max: Date.UTC(2038, 0, 1) }), (now) => {
        expect(klingTaskId(now)).toMatch(/^[1-9]\d{17}$/);
        expect(BigInt(klingTaskId(now + 1)) > BigInt(klingTaskId(now - 1))).toBe(true);
      }),
    );
  });
  it('new-api: task_ + 32 alphanumerics', () => expect(newApiTaskId()).toMatch(/^task_[0-9A-Za-z]{32}$/));
  it('EvoLink: task-unified-<unix>-<8 lowercase alnum>', () => {
    expect(evolinkTaskId(1757169743123)).toMatch(/^task-unified-1757169743-[0-9a-z]{8}$/);
  });
  it('APIMart: task_ + ULID', () => expect(apimartTaskId()).toMatch(/^task_[0-9A-HJKMNP-TV-Z]{26}$/));
  it('Novita: a UUID', () => expect(uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/));
  it('OpenAI: video_ + hex', () => expect(openAiVideoId()).toMatch(/^video_[0-9a-f]{32}$/));
  it('internal ids sort by creation time', () => expect(internalId(2000) > internalId(1000)).toBe(true));
});
