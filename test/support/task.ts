import type { Task } from '../../src/domain/task.ts';
import { videoRequest } from './video-request.ts';

const CREATED_MS = 1_800_000_000_000;

/** A queued text-to-video task that has not started (videoRequest's request), with overrides. */
export function testTask(over: Partial<Task> = {}): Task {
  return {
    id: 'internal',
    publicId: 'task-1',
    keyId: 'key_a',
    dialect: 'kling',
    kind: 'text2video',
    request: videoRequest(),
    status: 'queued',
    progress: 0,
    provider: 'preview',
    upstreamId: null,
    attempts: 0,
    result: null,
    failure: null,
    unitsCharged: null,
    billing: null,
    submitStartedAt: null,
    checks: 0,
    mirrorFailures: 0,
    nudges: 0,
    cancelRequestedAt: null,
    createdAt: CREATED_MS,
    updatedAt: CREATED_MS,
    startedAt: null,
    finishedAt: null,
    ...over,
  };
}
