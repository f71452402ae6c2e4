/**
 * OpenAI videos (prior-art §4.4), mounted at `/v1` after the Kling and EvoLink/APIMart groups:
 * `POST /videos` (JSON or multipart), `GET /videos`, `GET /videos/:id`, `DELETE /videos/:id`,
 * `GET /videos/:id/content[?variant=thumbnail]`. The groups mounted first own
 * /videos/text2video, /videos/image2video and /videos/generations, so a request they match never
 * reaches `:id` here. Errors are OpenAI's `{"error":{message,type,param,code}}`.
 */
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../domain/errors.ts';
import { openAiVideoId } from '../../domain/ids.ts';
import type { Task } from '../../domain/task.ts';
import { openAiError } from '../../dialects/openai/envelope.ts';
import { parseOpenAiListQuery } from '../../dialects/openai/list-query.ts';
import { formFields, parseOpenAiCreate } from '../../dialects/openai/parse-create.ts';
import { renderOpenAiDeleted, renderOpenAiVideo, renderOpenAiVideoList } from '../../dialects/openai/render-video.ts';
import type { Thumbnailer } from '../../media/thumbnail.ts';
import type { TaskDeletion } from '../../store/task-deletion.ts';
import type { TaskPageAfter } from '../../store/task-page-after.ts';
import type { AppEnv } from '../app-env.ts';
import { createdResponse, readIdempotency } from '../idempotency.ts';
import { limitBody, readJsonBody } from '../read-json.ts';
import type { RouteDeps } from '../route-deps.ts';
import { errorResponse } from '../to-app-error.ts';

export const OPENAI_DIALECT = 'openai';

/** The cursor listing and the deletion, which work on the database directly. */
export type OpenAiVideoStore = { pageAfter: TaskPageAfter; deleteTask: TaskDeletion };

const FORM_TYPES = /^\s*(multipart\/form-data|application\/x-www-form-urlencoded)\s*(;|$)/i;
const VARIANTS = ['video', 'thumbnail'] as const;

function notFound(id: string): AppError {
  const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
  return new AppError('task_not_found', `video '${shown}' does not exist`, { field: 'video_id' });
}

/**
 * `thumbnail` makes a JPEG of a stored video (`createThumbnailer`); `store` serves listing and
 * deletion. Without them those answer 404 saying what is not available on this server.
 */
export function createOpenAiVideoRoutes(deps: RouteDeps, thumbnail?: Thumbnailer, store?: OpenAiVideoStore): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (task: Task) => renderOpenAiVideo(task, { mediaTtlSeconds: deps.mediaTtlSeconds });

  // Per route, not `use('*')`: other dialects share the /v1 prefix and answer in their own words.
  const auth = createMiddleware<AppEnv>(async (c, next) => {
    c.set('owner', await deps.authenticate(c.req.header('authorization')));
    await next();
  });

  async function ownVideo(c: Context<AppEnv>): Promise<Task> {
    const id = c.req.param('id') ?? '';
    const task = await deps.tasks.findOwned(c.get('owner').keyId, id);
    // Another dialect's task is rendered only in its own dialect: here it does not exist.
    if (!task || task.dialect !== OPENAI_DIALECT || task.publicId !== id) throw notFound(id);
    return task;
  }

  app.post('/videos', auth, limitBody(), async (c) => {
    const idempotency = await readIdempotency(c);
    const request = parseOpenAiCreate(await readCreateBody(c), { models: deps.models });
    const created = await deps.createTask({ keyId: c.get('owner').keyId, dialect: OPENAI_DIALECT, kind: 'text2video', publicId: openAiVideoId(), request, idempotency });
    return createdResponse(c, created, render(created.task));
  });

  app.get('/videos', auth, async (c) => {
    const query = parseOpenAiListQuery({ after: c.req.query('after'), limit: c.req.query('limit'), order: c.req.query('order') });
    if (!store) throw new AppError('route_not_found', 'listing videos is not available on this server');
    const page = await store.pageAfter({ keyId: c.get('owner').keyId, dialect: OPENAI_DIALECT, ...query });
    if (!page) throw new AppError('invalid_parameter', `after '${(query.after ?? '').slice(0, 64)}' is not one of your videos`, { field: 'after' });
    return c.json(renderOpenAiVideoList(page.tasks, page.hasMore, { mediaTtlSeconds: deps.mediaTtlSeconds }), 200);
  });

  app.get('/videos/:id', auth, async (c) => c.json(render(await ownVideo(c)), 200));

  app.delete('/videos/:id', auth, async (c) => {
    const task = await ownVideo(c);
    if (!store) throw new AppError('route_not_found', 'deleting videos is not available on this server');
    const result = await store.deleteTask(task.keyId, task.publicId, OPENAI_DIALECT);
    if (result.outcome === 'not_found') throw notFound(task.publicId);
    if (result.outcome === 'active') {
      throw new AppError(
        'invalid_parameter',
        `video '${task.publicId}' is still ${result.status === 'running' ? 'in_progress' : result.status}; wait until it is completed or failed, or cancel it, before deleting it`,
        { field: 'video_id' },
      );
    }
    // The row is gone first, so no client can be handed a link to a half-deleted video.
    for (const key of result.mediaKeys) {
      await deps.storage.delete(key).catch((e: unknown) => deps.log.warn({ err: e, key }, 'could not delete the media of a deleted video'));
    }
    return c.json(renderOpenAiDeleted(task.publicId), 200);
  });

  app.get('/videos/:id/content', auth, async (c) => {
    const variant = c.req.query('variant') || 'video';
    if (!(VARIANTS as readonly string[]).includes(variant)) {
      throw new AppError('invalid_parameter', `variant must be one of: ${VARIANTS.join(', ')}`, { field: 'variant' });
    }
    const task = await ownVideo(c);
    const video = task.status === 'completed' ? task.result?.videos[0] : undefined;
    if (!video) {
      // [I] 404, as for any content that does not exist (yet); the message says why.
      const status = task.status === 'running' ? 'in_progress' : task.status === 'canceled' ? 'failed' : task.status;
      throw new AppError('task_not_found', `video '${task.publicId}' has no content: its status is ${status}; content exists once it is completed`, { field: 'video_id' });
    }
    if (variant === 'thumbnail' && !thumbnail) throw new AppError('task_not_found', 'thumbnail not available', { field: 'variant' });
    const object = await deps.storage.stat(video.key);
    if (!object) throw new AppError('task_not_found', `the content of video '${task.publicId}' no longer exists`, { field: 'video_id' });
    if (variant === 'thumbnail' && thumbnail) {
      const jpeg = await thumbnail(video.key);
      return c.body(new Uint8Array(jpeg), 200, { 'content-type': 'image/jpeg', 'content-length': String(jpeg.length), 'cache-control': 'private, max-age=3600' });
    }
    const body = Readable.toWeb(deps.storage.read(video.key)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, { 'content-type': 'video/mp4', 'content-length': String(object.size), 'cache-control': 'private, max-age=3600' });
  });

  app.onError((e, c) => errorResponse(c, deps.log, e, openAiError));
  return app;
}

/** JSON, or a form (multipart or urlencoded) as a plain object of its text fields. */
async function readCreateBody(c: Context<AppEnv>): Promise<unknown> {
  if (!FORM_TYPES.test(c.req.header('content-type') ?? '')) return readJsonBody(c);
  let form: Record<string, unknown>;
  try {
    form = await c.req.parseBody({ all: true });
  } catch (cause) {
    throw new AppError('invalid_parameter', 'request body must be valid multipart/form-data (or JSON)', { cause });
  }
  return formFields(form);
}
