/**
 * The table the OpenAPI documents are written from: each route app.ts mounts, which dialect it
 * belongs to, what it is for, and an example answer. Request bodies are named, never written out:
 * request-schemas.ts converts them from the parsers' own zod objects.
 */
import { APIMART_MODELS } from '../../dialects/apimart/models.ts';
import { EVOLINK_MODELS } from '../../dialects/evolink/models.ts';
import type { RequestSchemaName } from './request-schemas.ts';

/** A document per dialect (`/openapi/<dialect>.json`); `reelay` is the shared and admin API, in the combined one only. */
export const DOC_DIALECTS = ['kling', 'newapi', 'kling-new', 'evolink', 'apimart', 'novita', 'openai'] as const;
export type DocDialect = (typeof DOC_DIALECTS)[number];
export type OperationGroup = DocDialect | 'reelay';

export type Parameter = { name: string; in: 'query' | 'path' | 'header'; required?: boolean; description: string; schema?: Record<string, unknown> };

export type Operation = {
  /** Which documents list it; `all` = every dialect's (routes that take any dialect's task id). */
  group: OperationGroup | 'all';
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI path template. */
  path: string;
  summary: string;
  description?: string;
  auth: 'key' | 'master' | 'none';
  body?: {
    schema: RequestSchemaName | Record<string, unknown>;
    example?: unknown;
    form?: boolean;
    required?: boolean;
    /** The values of a body field that pick this operation where two dialects share a route (`model`). */
    picks?: { field: string; values: readonly string[] };
  };
  parameters?: Parameter[];
  response: { status: number; description: string; example?: unknown; contentType?: string };
};

const KLING_OK = { code: 0, message: 'SUCCEED', request_id: '8d5a6a77-…' };
const klingTask = (id: string, status: string) => ({
  ...KLING_OK,
  data: { task_id: id, task_status: status, task_info: {}, created_at: 1757169743000, updated_at: 1757169743000 },
});
const KLING_DONE = {
  ...KLING_OK,
  data: {
    task_id: '191311407717723614',
    task_status: 'succeed',
    task_result: { videos: [{ id: '…', url: 'http://127.0.0.1:8080/media/…?exp=…&sig=…', duration: '5' }] },
    reelay: { progress: 100 },
  },
};
const EVOLINK_TASK = { id: 'task-unified-1757169743-7cvnl5zw', object: 'video.generation.task', status: 'pending', progress: 0, model: 'kling-v3-text-to-video' };
const APIMART_CREATED = { code: 200, data: [{ status: 'submitted', task_id: 'task_01KA040M0HP1GJWBJYZMKX1XS1' }] };
const OPENAI_VIDEO = { id: 'video_…', object: 'video', model: 'kling-v3', status: 'queued', progress: 0, seconds: '5', size: '1280x720' };
const KLING_NEW_CREATED = { ...KLING_OK, data: { id: '191311407717723614', status: 'submitted', create_time: 1757169743000, update_time: 1757169743000, external_id: 'window-1' } };

const id = (description: string): Parameter => ({ name: 'id', in: 'path', required: true, description });

/** The legacy Kling routes, under the prefix of one flavor (official `/v1`, new-api `/kling/v1`). */
function klingLegacy(group: 'kling' | 'newapi', prefix: string, taskId: string): Operation[] {
  const who = group === 'kling' ? 'Official Kling (legacy design)' : 'new-api passthrough';
  return (['text2video', 'image2video'] as const).flatMap((kind): Operation[] => [
    {
      group,
      method: 'post',
      path: `${prefix}/videos/${kind}`,
      summary: `${who}: create a ${kind} task`,
      description:
        'Cross-field rules are checked after the shape: multi_prompt (1-6 shots, durations adding up to duration) when multi_shot and shot_type "customize"; ' +
        'voice_list (at most 2) needs sound "on"; duration "3".."15". ' +
        (kind === 'image2video' ? 'image and image_tail: an http(s) URL or raw base64 (no data: prefix) of up to 10 MB; body up to 28 MiB.' : 'Body up to 1 MiB.'),
      auth: 'key',
      body: {
        schema: kind === 'text2video' ? 'KlingText2VideoRequest' : 'KlingImage2VideoRequest',
        example:
          kind === 'text2video'
            ? { model_name: 'kling-v3', prompt: 'An ancient Japanese courtyard, rain falling into a pond', duration: '5', mode: 'std', aspect_ratio: '16:9', sound: 'on' }
            : { model_name: 'kling-v3', image: 'https://example.com/first.png', prompt: 'the box opens', duration: '5' },
      },
      response: { status: 200, description: 'The task, submitted', example: { ...klingTask(taskId, 'submitted'), ...(group === 'newapi' ? { task_id: taskId } : {}) } },
    },
    {
      group,
      method: 'get',
      path: `${prefix}/videos/${kind}/{id}`,
      summary: `${who}: one ${kind} task`,
      auth: 'key',
      parameters: [id('The task id, or your own external_task_id')],
      response: { status: 200, description: 'The task; data.reelay.progress is 0-100', example: KLING_DONE },
    },
    ...(group === 'kling'
      ? [
          {
            group,
            method: 'get',
            path: `${prefix}/videos/${kind}`,
            summary: `${who}: list your ${kind} tasks`,
            auth: 'key',
            parameters: [
              { name: 'pageNum', in: 'query', description: 'Page, from 1 (at most 1000)', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 1 } },
              { name: 'pageSize', in: 'query', description: 'Tasks per page (at most 500)', schema: { type: 'integer', minimum: 1, maximum: 500, default: 30 } },
            ],
            response: { status: 200, description: 'data: an array of tasks', example: { ...KLING_OK, data: [KLING_DONE.data] } },
          } satisfies Operation,
        ]
      : []),
  ]);
}

/** `model` of the new design's create paths: the path names this server serves. */
export function klingNewOperations(textModels: readonly string[], imageModels: readonly string[]): Operation[] {
  const model = (names: readonly string[]): Parameter => ({ name: 'model', in: 'path', required: true, description: 'The model, named in the path', schema: { type: 'string', enum: [...names] } });
  return [
    {
      group: 'kling-new',
      method: 'post',
      path: '/text-to-video/{model}',
      summary: 'Official Kling (new design): create a text-to-video task',
      description: 'settings.multi_shot (default true) reads shots written in the prompt: `镜头 1, 3, words; 镜头 2, 2, words;`.',
      auth: 'key',
      parameters: [model(textModels)],
      body: {
        schema: 'KlingNewText2VideoRequest',
        example: {
          prompt: '镜头 1, 3, the girl walks toward the window; 镜头 2, 2, the camera zooms into her profile;',
          settings: { audio: 'native', resolution: '1080p', aspect_ratio: '16:9', duration: 5 },
          options: { external_task_id: 'window-1' },
        },
      },
      response: { status: 200, description: 'The task, submitted', example: KLING_NEW_CREATED },
    },
    {
      group: 'kling-new',
      method: 'post',
      path: '/image-to-video/{model}',
      summary: 'Official Kling (new design): create an image-to-video task',
      description: 'contents: at most one prompt, one first_frame and one last_frame item, and any element items. A prompt goes either in prompt or in contents, not both.',
      auth: 'key',
      parameters: [model(imageModels)],
      body: {
        schema: 'KlingNewImage2VideoRequest',
        example: { contents: [{ type: 'prompt', text: 'the box opens' }, { type: 'first_frame', url: 'https://example.com/first.png' }], settings: { duration: 5 } },
      },
      response: { status: 200, description: 'The task, submitted', example: KLING_NEW_CREATED },
    },
    {
      group: 'kling-new',
      method: 'get',
      path: '/tasks',
      summary: 'Official Kling (new design): tasks by id (also legacy official tasks)',
      description: 'Exactly one of task_ids and external_task_ids, each a comma-separated list of at most 500 ids.',
      auth: 'key',
      parameters: [
        { name: 'task_ids', in: 'query', description: 'Task ids, comma-separated' },
        { name: 'external_task_ids', in: 'query', description: 'Your external_task_ids, comma-separated' },
      ],
      response: { status: 200, description: 'data: the tasks found', example: { ...KLING_OK, data: [KLING_NEW_CREATED.data] } },
    },
    {
      group: 'kling-new',
      method: 'post',
      path: '/tasks',
      summary: 'Official Kling (new design): list tasks in a time window (cursor)',
      description: 'Filters combine with AND, the values of one filter with OR. status: submitted, processing, succeeded, failed; product_type: video, image, try_on.',
      auth: 'key',
      body: { schema: 'KlingNewTaskListRequest', example: { limit: 20, filters: [{ key: 'status', values: ['succeeded'] }] }, required: false },
      response: { status: 200, description: 'A page of tasks', example: { ...KLING_OK, data: { result: [], count: 0, next_cursor: '', has_more: false } } },
    },
  ];
}

const TASK_ID = id('The task id (EvoLink `task-unified-…` or APIMart `task_…`)');

export const STATIC_OPERATIONS: readonly Operation[] = [
  ...klingLegacy('kling', '/v1', '191311407717723614'),
  ...klingLegacy('newapi', '/kling/v1', 'task_Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF'),
  {
    group: 'evolink',
    method: 'post',
    path: '/v1/videos/generations',
    summary: 'EvoLink: create a video task (model kling-v3-text-to-video or kling-v3-turbo-text-to-video)',
    description: 'Turbo reads shots written in the prompt: `镜头 1, 2, a door opens; 镜头 2, 3, a cat walks in;`. duration: a JSON integer 3-15.',
    auth: 'key',
    body: { schema: 'EvolinkCreateRequest', picks: { field: 'model', values: Object.keys(EVOLINK_MODELS) }, example: { model: 'kling-v3-text-to-video', prompt: 'A cat running on a grass field', duration: 5, aspect_ratio: '16:9', quality: '720p' } },
    response: { status: 200, description: 'The task', example: EVOLINK_TASK },
  },
  {
    group: 'apimart',
    method: 'post',
    path: '/v1/videos/generations',
    summary: 'APIMart: create a video task (model kling-v3)',
    description: 'image_urls: 1 = first frame, 2 = first and last frame (image-to-video); none = text-to-video.',
    auth: 'key',
    body: { schema: 'ApimartCreateRequest', picks: { field: 'model', values: Object.keys(APIMART_MODELS) }, example: { model: 'kling-v3', prompt: 'a golden retriever on the beach', mode: 'std', duration: 5 } },
    response: { status: 200, description: 'The task, submitted', example: APIMART_CREATED },
  },
  { group: 'evolink', method: 'get', path: '/v1/tasks/{id}', summary: 'EvoLink: one task', auth: 'key', parameters: [TASK_ID], response: { status: 200, description: 'The task', example: EVOLINK_TASK } },
  {
    group: 'apimart',
    method: 'get',
    path: '/v1/tasks/{id}',
    summary: 'APIMart: one task',
    auth: 'key',
    parameters: [TASK_ID],
    response: { status: 200, description: 'The task', example: { code: 200, data: { id: 'task_01KA040M0HP1GJWBJYZMKX1XS1', status: 'completed', progress: 100 } } },
  },
  ...(['kling-v3.0-pro-t2v', 'kling-v3.0-std-t2v'] as const).map(
    (model): Operation => ({
      group: 'novita',
      method: 'post',
      path: `/v3/async/${model}`,
      summary: `Novita: create a ${model.includes('pro') ? 'pro (1080p)' : 'std (720p)'} text-to-video task`,
      description: 'The key works with or without `Bearer`. prompt and multi_prompt are mutually exclusive.',
      auth: 'key',
      body: { schema: 'NovitaCreateRequest', example: { prompt: 'A lighthouse at dusk', duration: 5, sound: true, aspect_ratio: '16:9' } },
      response: { status: 200, description: 'The task id', example: { task_id: '830d9c90-…' } },
    }),
  ),
  {
    group: 'novita',
    method: 'get',
    path: '/v3/async/task-result',
    summary: 'Novita: one task',
    auth: 'key',
    parameters: [{ name: 'task_id', in: 'query', required: true, description: 'The task id' }],
    response: { status: 200, description: 'The task', example: { task: { task_id: '830d9c90-…', status: 'TASK_STATUS_SUCCEED', progress_percent: 100 }, videos: [] } },
  },
  {
    group: 'openai',
    method: 'post',
    path: '/v1/videos',
    summary: 'OpenAI videos: create a video',
    description: 'JSON or multipart/form-data (every field as text). seconds "3".."15"; size picks the tier and aspect ratio (1280x720 … 2160x2160); mode and aspect_ratio may be sent instead, or must agree with it. input_reference is refused.',
    auth: 'key',
    body: { schema: 'OpenAiVideoCreateRequest', form: true, example: { model: 'kling-v3', prompt: 'A calico cat playing a piano', seconds: '5', size: '1280x720' } },
    response: { status: 200, description: 'The video', example: OPENAI_VIDEO },
  },
  {
    group: 'openai',
    method: 'get',
    path: '/v1/videos',
    summary: 'OpenAI videos: list your videos',
    auth: 'key',
    parameters: [
      { name: 'after', in: 'query', description: 'A video id: the page after it' },
      { name: 'limit', in: 'query', description: '1-100 (default 20)', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
      { name: 'order', in: 'query', description: 'asc or desc (default desc)', schema: { type: 'string', enum: ['asc', 'desc'], default: 'desc' } },
    ],
    response: { status: 200, description: 'A page of videos', example: { object: 'list', data: [OPENAI_VIDEO], first_id: 'video_…', last_id: 'video_…', has_more: false } },
  },
  { group: 'openai', method: 'get', path: '/v1/videos/{id}', summary: 'OpenAI videos: one video', auth: 'key', parameters: [id('The video id')], response: { status: 200, description: 'The video', example: OPENAI_VIDEO } },
  {
    group: 'openai',
    method: 'delete',
    path: '/v1/videos/{id}',
    summary: 'OpenAI videos: delete a video',
    auth: 'key',
    parameters: [id('The video id')],
    response: { status: 200, description: 'Deleted', example: { id: 'video_…', object: 'video.deleted', deleted: true } },
  },
  {
    group: 'openai',
    method: 'get',
    path: '/v1/videos/{id}/content',
    summary: 'OpenAI videos: the MP4 (or a JPEG thumbnail)',
    auth: 'key',
    parameters: [id('The video id'), { name: 'variant', in: 'query', description: 'video (default) or thumbnail', schema: { type: 'string', enum: ['video', 'thumbnail'], default: 'video' } }],
    response: { status: 200, description: 'The file', contentType: 'video/mp4' },
  },
  {
    group: 'all',
    method: 'get',
    path: '/v1/tasks/{id}/events',
    summary: 'Any dialect: server-sent events of a task',
    description: 'One event per change of status or progress, named queued, running, completed, failed or canceled; data is the task as its dialect GET shows it. Closes after the terminal event.',
    auth: 'key',
    parameters: [id("Any dialect's task id, or a Kling external_task_id")],
    response: { status: 200, description: 'An event stream', contentType: 'text/event-stream' },
  },
  {
    group: 'all',
    method: 'post',
    path: '/v1/tasks/{id}/cancel',
    summary: 'Any dialect: cancel a task',
    description: 'Answers the task as its dialect GET shows it; 409 when it already ended.',
    auth: 'key',
    parameters: [id("Any dialect's task id")],
    response: { status: 200, description: 'The task' },
  },
  { group: 'reelay', method: 'get', path: '/v1/pricing', summary: 'Prices of the served models', auth: 'key', response: { status: 200, description: 'The price table' } },
  {
    group: 'reelay',
    method: 'post',
    path: '/v1/pricing/estimate',
    summary: 'What a create body would cost (nothing is created)',
    description: 'The body is read by the create route of `path` with its own parser, so it is refused with the same message and field.',
    auth: 'key',
    body: {
      // [I] pricing-routes.ts reads this wrapper by hand (no zod object to convert); the inner body is the create route's.
      schema: { type: 'object', properties: { path: { type: 'string', description: 'A create path, e.g. /v1/videos/text2video' }, body: { description: 'The create body for that path' } }, required: ['path', 'body'], additionalProperties: false },
      example: { path: '/v1/videos/text2video', body: { model_name: 'kling-v3', prompt: 'a paper boat', duration: '5' } },
    },
    response: { status: 200, description: 'The estimate' },
  },
  { group: 'reelay', method: 'get', path: '/healthz', summary: 'Liveness', auth: 'none', response: { status: 200, description: 'Alive', example: { status: 'ok' } } },
  { group: 'reelay', method: 'get', path: '/readyz', summary: 'Readiness (the database answers)', auth: 'none', response: { status: 200, description: 'Ready', example: { status: 'ready' } } },
  { group: 'reelay', method: 'get', path: '/metrics', summary: 'Prometheus metrics (when enabled)', auth: 'master', response: { status: 200, description: 'Prometheus text format', contentType: 'text/plain' } },
  {
    group: 'reelay',
    method: 'post',
    path: '/admin/keys',
    summary: 'Admin: create an API key',
    description: 'Besides the limits: name (required, 1-200 characters) and webhook_url (https, or null). Unknown fields are refused. The key, secret key and webhook secret are shown only here.',
    auth: 'master',
    body: { schema: 'AdminKeyLimits', example: { name: 'my-app', rpm: 60, max_concurrency: 5 } },
    response: { status: 201, description: 'The key' },
  },
  { group: 'reelay', method: 'get', path: '/admin/keys', summary: 'Admin: list keys', auth: 'master', response: { status: 200, description: 'The keys' } },
  { group: 'reelay', method: 'get', path: '/admin/keys/{id}', summary: 'Admin: one key', auth: 'master', parameters: [id('The key id')], response: { status: 200, description: 'The key' } },
  {
    group: 'reelay',
    method: 'patch',
    path: '/admin/keys/{id}',
    summary: "Admin: change a key's limits or default webhook URL",
    description: 'At least one field; webhook_url (https, or null to clear) besides the limits.',
    auth: 'master',
    parameters: [id('The key id')],
    body: { schema: 'AdminKeyLimits', example: { budget_credits: 100 } },
    response: { status: 200, description: 'The key' },
  },
  { group: 'reelay', method: 'delete', path: '/admin/keys/{id}', summary: 'Admin: revoke a key', auth: 'master', parameters: [id('The key id')], response: { status: 200, description: 'Revoked' } },
  { group: 'reelay', method: 'post', path: '/admin/keys/{id}/webhook-secret', summary: "Admin: replace a key's webhook secret", auth: 'master', parameters: [id('The key id')], response: { status: 200, description: 'The new secret' } },
  { group: 'reelay', method: 'get', path: '/admin/channels', summary: 'Admin: upstream channels and their health', auth: 'master', response: { status: 200, description: 'The channels' } },
  {
    group: 'reelay',
    method: 'get',
    path: '/admin/deliveries',
    summary: "Admin: a task's webhook deliveries",
    auth: 'master',
    parameters: [{ name: 'task_id', in: 'query', required: true, description: 'Public or internal task id' }],
    response: { status: 200, description: 'The deliveries' },
  },
  { group: 'reelay', method: 'post', path: '/admin/deliveries/{id}/replay', summary: 'Admin: send a delivery again', auth: 'master', parameters: [id('The delivery id')], response: { status: 200, description: 'The new delivery' } },
  {
    group: 'reelay',
    method: 'get',
    path: '/admin/usage',
    summary: 'Admin: usage by day and model',
    auth: 'master',
    parameters: [
      { name: 'from', in: 'query', description: 'Start of the window' },
      { name: 'to', in: 'query', description: 'End of the window' },
      { name: 'key', in: 'query', description: 'One key id' },
    ],
    response: { status: 200, description: 'The usage' },
  },
];

/** An error in each dialect's envelope, for the documents' error responses. */
export const ERROR_EXAMPLES: Record<OperationGroup, unknown> = {
  kling: { code: 1201, message: 'duration must be an integer between 3 and 15', request_id: '…' },
  newapi: { code: 1201, message: 'duration must be an integer between 3 and 15', request_id: '…' },
  'kling-new': { code: 1201, message: 'settings.resolution must be one of: 720p, 1080p, 4k', request_id: '…' },
  evolink: { error: { code: 400, message: 'model is required; available models: …', type: 'invalid_request_error', param: 'model' } },
  apimart: { code: 400, error: { message: 'mode must be one of: std, pro, 4k', type: 'invalid_request_error', param: 'mode' } },
  novita: { code: 400, reason: 'INVALID_REQUEST_BODY', message: 'aspect_ratio must be one of: 16:9, 9:16, 1:1', metadata: {} },
  openai: { error: { message: 'prompt is required and must be a string', type: 'invalid_request_error', param: 'prompt', code: 'invalid_parameter' } },
  reelay: { error: { code: 'invalid_parameter', message: 'rpm must be at least 1', request_id: '…', field: 'rpm' } },
};
