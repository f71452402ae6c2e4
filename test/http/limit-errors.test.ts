import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { APIMART_CASE_1, EVOLINK_SPEC_EXAMPLE } from '../support/unified-examples.ts';

/**
 * A key's limits refuse a create in the caller's dialect, on every create route: budget, requests
 * per minute (with Retry-After), tasks in flight and models. A refusal leaves no task and no hold
 * behind; an idempotent replay is not a new create, so rpm does not refuse it.
 */

type Json = Record<string, unknown>;
type Limit = 'budget' | 'rate' | 'concurrency' | 'model';
type Refusal = { status: number; body: Json };

/** One create route: a kling-v3 body (5 s std or shorter, no sound: at most 3 credits) and how it words each refusal. */
type CreateRoute = {
  name: string;
  route: string;
  body: Json;
  refusal: Record<Limit, Refusal>;
  message(answer: Json): string;
  /** The key's tasks on the dialect's own list route; null where the dialect has none. */
  listed: ((server: TestServer, key: string) => Promise<number>) | null;
};

const ANY = expect.any(String) as unknown as string;
const KLING_BODY = { model_name: 'kling-v3', prompt: 'A red fox in fresh snow', duration: '5', mode: 'std' };
const topMessage = (answer: Json) => answer.message as string;
const errorMessage = (answer: Json) => (answer.error as Json).message as string;

async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

/** Kling's envelope (legacy, /kling/v1 and the new design alike): spec §1.8's HTTP status and code. */
const KLING_REFUSALS: Record<Limit, Refusal> = {
  budget: { status: 429, body: { code: 1102, message: ANY, request_id: ANY } },
  rate: { status: 429, body: { code: 1302, message: ANY, request_id: ANY } },
  concurrency: { status: 429, body: { code: 1303, message: ANY, request_id: ANY } },
  model: { status: 403, body: { code: 1103, message: ANY, request_id: ANY } },
};

/** EvoLink's status, `error.type` word (spec §2.3) and param for each refusal; APIMart answers the same words. */
type UnifiedError = { code: number; type: string; param?: string };
const UNIFIED_ERRORS: Record<Limit, UnifiedError> = {
  budget: { code: 402, type: 'insufficient_quota_error' },
  rate: { code: 429, type: 'rate_limit_error' },
  concurrency: { code: 429, type: 'rate_limit_error' },
  model: { code: 403, type: 'permission_error', param: 'model' },
};

function unifiedRefusals(body: (error: UnifiedError) => Json): Record<Limit, Refusal> {
  const of = (limit: Limit): Refusal => ({ status: UNIFIED_ERRORS[limit].code, body: body(UNIFIED_ERRORS[limit]) });
  return { budget: of('budget'), rate: of('rate'), concurrency: of('concurrency'), model: of('model') };
}

const klingList = (route: string) => async (server: TestServer, key: string) => ((await json(await server.api(route, { key }))).data as Json[]).length;

const ROUTES: CreateRoute[] = [
  ...(['/v1', '/kling/v1'] as const).map((prefix): CreateRoute => ({
    name: `Kling ${prefix}/videos/text2video`,
    route: `${prefix}/videos/text2video`,
    body: KLING_BODY,
    refusal: KLING_REFUSALS,
    message: topMessage,
    listed: klingList(`${prefix}/videos/text2video`),
  })),
  {
    name: 'Kling new design /text-to-video/kling-3.0',
    route: '/text-to-video/kling-3.0',
    body: { prompt: 'A red fox in fresh snow', settings: { duration: 5 } },
    refusal: KLING_REFUSALS,
    message: topMessage,
    listed: async (server, key) => (((await json(await server.api('/tasks', { method: 'POST', key }))).data as Json).result as Json[]).length,
  },
  {
    name: 'EvoLink /v1/videos/generations',
    route: '/v1/videos/generations',
    body: EVOLINK_SPEC_EXAMPLE,
    refusal: unifiedRefusals(({ code, ...rest }) => ({ error: { code, message: ANY, ...rest } })),
    message: errorMessage,
    listed: null,
  },
  {
    name: 'APIMart /v1/videos/generations',
    route: '/v1/videos/generations',
    body: APIMART_CASE_1,
    refusal: unifiedRefusals(({ code, ...rest }) => ({ code, error: { message: ANY, ...rest } })),
    message: errorMessage,
    listed: null,
  },
  {
    name: 'Novita /v3/async/kling-v3.0-std-t2v',
    route: '/v3/async/kling-v3.0-std-t2v',
    body: { prompt: 'A lighthouse on a cliff at dusk', duration: 5 },
    refusal: {
      budget: { status: 402, body: { code: 402, reason: 'NOT_ENOUGH_BALANCE', message: ANY, metadata: {} } },
      rate: { status: 429, body: { code: 429, reason: 'RATE_LIMIT_EXCEEDED', message: ANY, metadata: {} } },
      concurrency: { status: 429, body: { code: 429, reason: 'CONCURRENCY_LIMIT_EXCEEDED', message: ANY, metadata: {} } },
      model: { status: 403, body: { code: 403, reason: 'MODEL_ACCESS_DENIED', message: ANY, metadata: {} } },
    },
    message: topMessage,
    listed: null,
  },
  {
    name: 'OpenAI /v1/videos',
    route: '/v1/videos',
    body: { model: 'kling-v3', prompt: 'A calico cat playing a piano on stage', seconds: '4', size: '1280x720' },
    refusal: {
      // OpenAI's own answer to an exhausted quota: 429 of type insufficient_quota.
      budget: { status: 429, body: { error: { message: ANY, type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } },
      rate: { status: 429, body: { error: { message: ANY, type: 'requests', param: null, code: 'rate_limit_exceeded' } } },
      concurrency: { status: 429, body: { error: { message: ANY, type: 'requests', param: null, code: 'concurrency_limit_exceeded' } } },
      model: { status: 403, body: { error: { message: ANY, type: 'invalid_request_error', param: 'model', code: 'model_not_allowed' } } },
    },
    message: errorMessage,
    listed: async (server, key) => ((await json(await server.api('/v1/videos', { key }))).data as Json[]).length,
  },
];

/** The limit each case sets on a fresh key; every body above costs more than 0.5 credits. */
const LIMITS: Record<Limit, Json> = {
  budget: { budget_credits: 0.5 },
  rate: { rpm: 1 },
  concurrency: { max_concurrency: 1 },
  model: { models: ['kling-v3-turbo'] },
};

describe('the key limits on every create route', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    // Nothing renders: every accepted task stays queued, so it holds its concurrency slot.
    await server.worker.stop();
  });
  afterAll(async () => server?.stop());

  async function keyWith(limits: Json): Promise<{ id: string; key: string }> {
    const res = await server.api('/admin/keys', { method: 'POST', json: { name: 'limited', ...limits } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  }

  const create = (route: CreateRoute, key: string, headers: Record<string, string> = {}) =>
    server.api(route.route, { method: 'POST', key, json: route.body, headers });

  async function accepted(route: CreateRoute, key: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await create(route, key, headers);
    expect(res.status, await res.clone().text()).toBe(200);
    return res;
  }

  /** The key's tasks as its dialect lists them, as the database holds them, and the key's open holds. */
  async function tasksOf(route: CreateRoute, key: { id: string; key: string }) {
    const rows = await server.db.kysely.selectFrom('tasks').select('id').where('key_id', '=', key.id).execute();
    const view = (await json(await server.api(`/admin/keys/${key.id}`))) as { active_tasks: number; held_credits: number };
    return {
      listed: route.listed ? await route.listed(server, key.key) : rows.length,
      stored: rows.length,
      active: view.active_tasks,
      held: view.held_credits,
    };
  }

  async function expectRefused(route: CreateRoute, limit: Limit, res: Response): Promise<Json> {
    const body = await json(res);
    const { status, body: expected } = route.refusal[limit];
    expect(res.status, JSON.stringify(body)).toBe(status);
    // toEqual, not toMatchObject: the code is a JSON number (1102, not "1102") and nothing else is there.
    expect(body).toEqual(expected);
    return body;
  }

  describe.each(ROUTES)('$name', (route) => {
    it('refuses a task the budget cannot cover, leaving no task and no hold', async () => {
      const key = await keyWith(LIMITS.budget);
      const res = await create(route, key.key);
      const body = await expectRefused(route, 'budget', res);
      expect(route.message(body)).toMatch(/budget/);
      // Waiting does not refill a budget: no Retry-After.
      expect(res.headers.get('retry-after')).toBeNull();
      expect(await tasksOf(route, key)).toEqual({ listed: 0, stored: 0, active: 0, held: 0 });
    });

    it('refuses the second create within a minute under rpm 1, with Retry-After in whole seconds', async () => {
      const key = await keyWith(LIMITS.rate);
      await accepted(route, key.key);
      const res = await create(route, key.key);
      await expectRefused(route, 'rate', res);
      const retryAfter = res.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(await tasksOf(route, key)).toMatchObject({ listed: 1, stored: 1, active: 1 });
    });

    it('refuses a second task while the first is queued under max_concurrency 1', async () => {
      const key = await keyWith(LIMITS.concurrency);
      await accepted(route, key.key);
      await expectRefused(route, 'concurrency', await create(route, key.key));
      expect(await tasksOf(route, key)).toMatchObject({ listed: 1, stored: 1, active: 1 });
    });

    it('refuses a model the key may not use, naming it', async () => {
      const key = await keyWith(LIMITS.model);
      const res = await create(route, key.key);
      const body = await expectRefused(route, 'model', res);
      // The refused model itself, not only the allowed kling-v3-turbo.
      expect(route.message(body)).toMatch(/\bkling-v3\b(?!-)/);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(await tasksOf(route, key)).toEqual({ listed: 0, stored: 0, active: 0, held: 0 });
    });

    it('replays an accepted create under rpm 1: a replay is not a new create', async () => {
      const key = await keyWith(LIMITS.rate);
      const headers = { 'Idempotency-Key': `limits-${route.route}-${route.name}` };
      const first = await json(await accepted(route, key.key, headers));
      const replay = await accepted(route, key.key, headers);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(withoutRequestId(await json(replay))).toEqual(withoutRequestId(first));
      // The token is still spent: a new create is refused.
      await expectRefused(route, 'rate', await create(route, key.key));
      expect(await tasksOf(route, key)).toMatchObject({ listed: 1, stored: 1, active: 1 });
    });
  });
});

/** A Kling envelope's request_id is per request, also on a replay. */
function withoutRequestId({ request_id: _, ...rest }: Json): Json {
  return rest;
}
