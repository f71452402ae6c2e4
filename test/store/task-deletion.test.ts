import { describe, expect, it } from 'vitest';
import { internalId, openAiVideoId } from '../../src/domain/ids.ts';
import { createTaskDeletion, type TaskDeletion } from '../../src/store/task-deletion.ts';
import { createTaskRepository, type TaskRepository } from '../../src/store/task-repository.ts';
import { backends } from '../support/databases.ts';
import { eachDatabase } from '../support/each-database.ts';
import { videoRequest } from '../support/video-request.ts';

const request = videoRequest({ watermark: true });

describe.each(backends)('task deletion on $name', (backend) => {
  let tasks: TaskRepository;
  let remove: TaskDeletion;
  const clock = 1_800_000_000_000;

  const insert = (keyId = 'key_a', dialect = 'openai') =>
    tasks.insert({ id: internalId(clock), publicId: openAiVideoId(), keyId, dialect, kind: 'text2video', request, provider: 'preview', now: clock });

  eachDatabase(backend, (db) => {
    tasks = createTaskRepository(db.kysely, db.kind);
    remove = createTaskDeletion(db.kysely);
  });

  it('deletes a completed task and returns the keys of its video and watermarked copy', async () => {
    const t = await insert();
    await tasks.claimDue(clock, 1, 30_000, 'w');
    await tasks.start(t.id, 'w', clock);
    const result = { videos: [{ id: 'v1', key: `tasks/${t.id}/video-1.mp4`, watermarkKey: `tasks/${t.id}/video-1-watermark.mp4`, duration: 5 }] };
    await tasks.complete(t.id, 'w', result, null, clock);
    expect(await remove('key_a', t.publicId, 'openai')).toEqual({ outcome: 'deleted', mediaKeys: [result.videos[0]?.key, result.videos[0]?.watermarkKey] });
    expect(await tasks.get(t.id)).toBeNull();
    expect(await remove('key_a', t.publicId, 'openai')).toEqual({ outcome: 'not_found' });
  });

  it('deletes a failed task, which has no media', async () => {
    const t = await insert();
    await tasks.claimDue(clock, 1, 30_000, 'w');
    await tasks.fail(t.id, 'w', 'queued', { code: 'render_failed', message: 'x' }, clock);
    expect(await remove('key_a', t.publicId, 'openai')).toEqual({ outcome: 'deleted', mediaKeys: [] });
  });

  it('refuses to delete a queued or running task and keeps it', async () => {
    const t = await insert();
    expect(await remove('key_a', t.publicId, 'openai')).toEqual({ outcome: 'active', status: 'queued' });
    await tasks.claimDue(clock, 1, 30_000, 'w');
    await tasks.start(t.id, 'w', clock);
    expect(await remove('key_a', t.publicId, 'openai')).toEqual({ outcome: 'active', status: 'running' });
    expect((await tasks.get(t.id))?.status).toBe('running');
  });

  it('never deletes another key task or a task of another dialect', async () => {
    const foreign = await insert('key_b');
    const kling = await insert('key_a', 'kling');
    for (const t of [foreign, kling]) {
      await tasks.claimDue(clock, 5, 30_000, 'w');
      await tasks.fail(t.id, 'w', 'queued', { code: 'x', message: 'y' }, clock);
    }
    expect(await remove('key_a', foreign.publicId, 'openai')).toEqual({ outcome: 'not_found' });
    expect(await remove('key_a', kling.publicId, 'openai')).toEqual({ outcome: 'not_found' });
    expect(await remove('key_a', 'video_\u0000', 'openai')).toEqual({ outcome: 'not_found' });
    expect(await tasks.get(foreign.id)).not.toBeNull();
    expect(await tasks.get(kling.id)).not.toBeNull();
  });
});
