import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/databases.ts';
import { README_EXAMPLE } from '../support/kling-examples.ts';
import { startPostgresTestServer, startTestServer, type CreatedKey, type TestServer } from '../support/server.ts';
import { APIMART_CASE_1, EVOLINK_SPEC_EXAMPLE } from '../support/unified-examples.ts';

type Json = Record<string, unknown>;
type ErrorStatus = 400 | 409;

/** One create route: two valid bodies, where its answer carries the task id, and its error envelope. */
type CreateRoute = {
  name: string;
  route: string;
  body: Json;
  otherBody: Json;
  /** Sent as multipart/form-data (OpenAI), with a new boundary on every request. */
  form?: true;
  id(answer: Json): string;
  /** The dialect's whole error body for `status`, naming the header (any message). */
  envelope(status: ErrorStatus): Json;
  message(answer: Json): string;
};

const IMAGE = 'https://p2-kling.klingai.com/kcdn/cdn-kcdn112452/kling-qa-test/multi-2.png';
const KLING_I2V = { model_name: 'kling-v3', image: IMAGE, prompt: 'Camera zooms out, the girl smiles', duration: '5', mode: 'pro' };
const OPENAI = { model: 'kling-v3', prompt: 'A calico cat playing a piano on stage', seconds: '4', size: '1280x720' };
const NOVITA = { prompt: 'A lighthouse on a cliff at dusk', duration: 3, aspect_ratio: '16:9' };
const HEADER = 'Idempotency-Key';
const ANY = expect.any(String) as unknown as string;

const klingData = (answer: Json) => (answer.data as Json).task_id as string;
const topMessage = (answer: Json) => answer.message as string;
const errorMessage = (answer: Json) => (answer.error as Json).message as string;
const kling = { id: klingData, envelope: () => ({ code: 1201, message: ANY, request_id: ANY }), message: topMessage };

const ROUTES: CreateRoute[] = [
  ...(['/v1', '/kling/v1'] as const).flatMap((prefix): CreateRoute[] => [
    { name: `Kling text2video at ${prefix}`, route: `${prefix}/videos/text2video`, body: README_EXAMPLE, otherBody: { ...README_EXAMPLE, duration: '10' }, ...kling },
    { name: `Kling image2video at ${prefix}`, route: `${prefix}/videos/image2video`, body: KLING_I2V, otherBody: { ...KLING_I2V, mode: 'std' }, ...kling },
  ]),
  {
    name: 'Kling new design', route: '/text-to-video/kling-3.0', body: { prompt: 'a fox in the snow', duration: 5 }, otherBody: { prompt: 'a fox in the rain', duration: 5 },
    ...kling, id: (answer) => (answer.data as Json).id as string,
  },
  {
    name: 'EvoLink', route: '/v1/videos/generations', body: EVOLINK_SPEC_EXAMPLE, otherBody: { ...EVOLINK_SPEC_EXAMPLE, duration: 10 }, id: (answer) => answer.id as string,
    envelope: (status) => ({ error: { code: status, message: ANY, type: 'invalid_request_error', param: HEADER } }), message: errorMessage,
  },
  {
    name: 'APIMart', route: '/v1/videos/generations', body: APIMART_CASE_1, otherBody: { ...APIMART_CASE_1, mode: 'pro' },
    id: (answer) => ((answer.data as Json[])[0] as Json).task_id as string,
    envelope: (status) => ({ code: status, error: { message: ANY, type: 'invalid_request_error', param: HEADER } }), message: errorMessage,
  },
  {
    name: 'Novita', route: '/v3/async/kling-v3.0-pro-t2v', body: NOVITA, otherBody: { ...NOVITA, duration: 5 }, id: (answer) => answer.task_id as string,
    envelope: (status) => ({ code: status, reason: status === 409 ? 'IDEMPOTENCY_CONFLICT' : 'INVALID_REQUEST_BODY', message: ANY, metadata: {} }), message: topMessage,
  },
  ...([false, true] as const).map((form): CreateRoute => ({
    name: `OpenAI videos (${form ? 'multipart' : 'JSON'})`, route: '/v1/videos', body: OPENAI, otherBody: { ...OPENAI, seconds: '8' }, ...(form ? { form: true as const } : {}),
    id: (answer) => answer.id as string,
    envelope: (status) => ({ error: { message: ANY, type: 'invalid_request_error', param: HEADER, code: status === 409 ? 'idempotency_conflict' : 'invalid_value' } }),
    message: errorMessage,
  })),
];

/** Checks the answer is the route's error envelope for `status`; returns its message. */
function errorOf(route: CreateRoute, answer: Json, status: ErrorStatus): string {
  expect(answer).toEqual(route.envelope(status));
  return route.message(answer);
}

/**
 * A create's request bytes. A form is serialized anew for every request, so each retry carries
 * another random boundary, as a client re-sending its FormData does: only the boundary may differ.
 */
async function encode(route: CreateRoute, body: Json): Promise<{ body: ArrayBuffer; contentType: string }> {
  if (!route.form) return { body: new TextEncoder().encode(JSON.stringify(body)).buffer as ArrayBuffer, contentType: 'application/json' };
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) form.append(name, String(value));
  const serialized = new Response(form);
  return { body: await serialized.arrayBuffer(), contentType: serialized.headers.get('content-type') ?? '' };
}

function idempotencySuite(backend: string, start: () => Promise<TestServer>): void {
  describe(`Idempotency-Key on every create route (${backend})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await start();
      // Route tests only: no task needs to run.
      await server.worker.stop();
    });
    afterAll(async () => server?.stop());

    const send = async (route: CreateRoute, key: CreatedKey, idempotencyKey: string | undefined, body: Json = route.body) => {
      const encoded = await encode(route, body);
      const headers: Record<string, string> = { 'content-type': encoded.contentType };
      if (idempotencyKey !== undefined) headers[HEADER] = idempotencyKey;
      const res = await server.api(route.route, { method: 'POST', key: key.key, headers, body: encoded.body });
      return { status: res.status, replayed: res.headers.get('idempotent-replayed'), answer: (await res.json()) as Json };
    };
    const taskCount = async (key: CreatedKey) =>
      (await server.db.kysely.selectFrom('tasks').select('id').where('key_id', '=', key.id).execute()).length;

    for (const route of ROUTES) {
      describe(route.name, () => {
        it('answers a retry with the same task and status, marked Idempotent-Replayed', async () => {
          const key = await server.createKey();
          const first = await send(route, key, 'retry-1');
          expect(first.status).toBe(200);
          expect(first.replayed).toBeNull();
          const again = await send(route, key, 'retry-1');
          expect(again.status).toBe(200);
          expect(again.replayed).toBe('true');
          expect(route.id(again.answer)).toBe(route.id(first.answer));
          expect(await taskCount(key)).toBe(1);
        });

        it('answers 409 in its envelope for the same key with another body, and makes no task', async () => {
          const key = await server.createKey();
          expect((await send(route, key, 'reused')).status).toBe(200);
          const reused = await send(route, key, 'reused', route.otherBody);
          expect(reused.status).toBe(409);
          expect(errorOf(route, reused.answer, 409)).toMatch(/^Idempotency-Key "reused" was first used with a different request body: within 24 hours a key answers only the same body sent to the same create route/);
          expect(await taskCount(key)).toBe(1);
        });

        it('answers 400 naming the header for an empty, too long or non-printable key, and accepts 255 printable characters', async () => {
          const key = await server.createKey();
          for (const bad of ['', 'k'.repeat(256), 'clé', 'tab\there']) {
            const res = await send(route, key, bad);
            expect(res.status, JSON.stringify(bad)).toBe(400);
            expect(errorOf(route, res.answer, 400)).toMatch(/^Idempotency-Key header must be 1-255 printable ASCII characters/);
          }
          expect(await taskCount(key)).toBe(0);
          expect((await send(route, key, `a ~${'k'.repeat(252)}`)).status).toBe(200);
        });

        it('gives another API key its own task for the same Idempotency-Key', async () => {
          const [a, b] = [await server.createKey('a'), await server.createKey('b')];
          const mine = await send(route, a, 'shared-name');
          const theirs = await send(route, b, 'shared-name');
          expect(theirs.status).toBe(200);
          expect(theirs.replayed).toBeNull();
          expect(route.id(theirs.answer)).not.toBe(route.id(mine.answer));
        });

        it('makes exactly one task of 50 concurrent creates with one key', async () => {
          const key = await server.createKey();
          const answers = await Promise.all(Array.from({ length: 50 }, () => send(route, key, 'stampede')));
          expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
          expect(new Set(answers.map((a) => route.id(a.answer))).size).toBe(1);
          expect(answers.filter((a) => a.replayed === null)).toHaveLength(1);
          expect(await taskCount(key)).toBe(1);
          const records = await server.db.kysely.selectFrom('idempotency_keys').selectAll().where('key_id', '=', key.id).execute();
          expect(records).toHaveLength(1);
        });

        it('replaces a record older than 24 hours: the key makes a new task, even with another body', async () => {
          const key = await server.createKey();
          const old = await send(route, key, 'yesterday');
          const createdAt = Date.now() - 25 * 60 * 60 * 1000;
          await server.db.kysely
            .updateTable('idempotency_keys')
            .set({ created_at: createdAt, expires_at: createdAt + 24 * 60 * 60 * 1000 })
            .where('key_id', '=', key.id)
            .where('idempotency_key', '=', 'yesterday')
            .execute();
          const fresh = await send(route, key, 'yesterday', route.otherBody);
          expect(fresh.status).toBe(200);
          expect(fresh.replayed).toBeNull();
          expect(route.id(fresh.answer)).not.toBe(route.id(old.answer));
          const replay = await send(route, key, 'yesterday', route.otherBody);
          expect(route.id(replay.answer)).toBe(route.id(fresh.answer));
          expect(await taskCount(key)).toBe(2);
        });
      });
    }
  });
}

idempotencySuite('SQLite', () => startTestServer({ configFile: { worker: { concurrency: 1 } } }));

// The database of the machine when there is one; test/support/databases.ts says loudly when not.
describe.runIf(postgresUrl)('on PostgreSQL', () => {
  idempotencySuite('PostgreSQL', () => startPostgresTestServer(postgresUrl as string));
});

describe('Idempotency-Key across routes and task changes', () => {
  let server: TestServer;
  let key: CreatedKey;
  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    await server.worker.stop();
    key = await server.createKey();
  });
  afterAll(async () => server?.stop());

  const post = async (route: string, json: unknown, idempotencyKey?: string) => {
    const res = await server.api(route, { method: 'POST', key: key.key, json, headers: idempotencyKey === undefined ? {} : { [HEADER]: idempotencyKey } });
    return { status: res.status, answer: (await res.json()) as Json };
  };

  it('creates a task per request without the header, as before', async () => {
    const a = await post('/v1/videos/text2video', README_EXAMPLE);
    const b = await post('/v1/videos/text2video', README_EXAMPLE);
    expect(klingData(a.answer)).not.toBe(klingData(b.answer));
  });

  it('answers 409 for a key reused on another create route with the same body', async () => {
    expect((await post('/v1/videos/text2video', README_EXAMPLE, 'one-route')).status).toBe(200);
    const elsewhere = await post('/kling/v1/videos/text2video', README_EXAMPLE, 'one-route');
    expect(elsewhere.status).toBe(409);
    expect(errorOf(ROUTES[0] as CreateRoute, elsewhere.answer, 409)).toBe(
      'Idempotency-Key "one-route" was first used on POST /v1/videos/text2video, not on POST /kling/v1/videos/text2video: within 24 hours a key answers only the same body sent to the same create route; send a new Idempotency-Key for a new request',
    );
  });

  it('renders a replay as the task is now, in the dialect that created it', async () => {
    const first = await post('/v1/videos', OPENAI, 'now-1');
    expect(first.answer).toMatchObject({ status: 'queued', progress: 0 });
    const id = first.answer.id as string;
    await server.db.kysely.updateTable('tasks').set({ status: 'running', progress: 40 }).where('public_id', '=', id).execute();
    const again = await post('/v1/videos', OPENAI, 'now-1');
    expect(again.answer).toMatchObject({ id, status: 'in_progress', progress: 40 });
  });

  it('replays a create with external_task_id, and still refuses that id under another Idempotency-Key (1201)', async () => {
    const body = { ...README_EXAMPLE, external_task_id: 'idem-ext-1' };
    const first = await post('/v1/videos/text2video', body, 'ext-a');
    const again = await post('/v1/videos/text2video', body, 'ext-a');
    expect(klingData(again.answer)).toBe(klingData(first.answer));
    const other = await post('/v1/videos/text2video', body, 'ext-b');
    expect(other.status).toBe(400);
    expect(other.answer).toMatchObject({ code: 1201, message: expect.stringMatching(/^external_task_id "idem-ext-1" is already used/) });
  });

  it('answers 409 once the task the key made was deleted, instead of making a second task under it', async () => {
    const first = await post('/v1/videos', OPENAI, 'deleted-1');
    const id = first.answer.id as string;
    await server.db.kysely.updateTable('tasks').set({ status: 'failed', error_code: 'render_failed', error_message: 'x' }).where('public_id', '=', id).execute();
    expect((await server.api(`/v1/videos/${id}`, { method: 'DELETE', key: key.key })).status).toBe(200);
    const again = await post('/v1/videos', OPENAI, 'deleted-1');
    expect(again.status).toBe(409);
    expect((again.answer.error as Json).message).toBe('the task Idempotency-Key "deleted-1" created has been deleted; send a new Idempotency-Key to create another');
  });
});
