import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKlingCreate } from '../../src/dialects/kling/parse-create.ts';
import { AppError } from '../../src/domain/errors.ts';
import { CREATE_PATHS } from '../../src/http/create-request-parsers.ts';
import { buildOpenApiDocuments } from '../../src/http/openapi/documents.ts';
import { DOC_DIALECTS } from '../../src/http/openapi/operations.ts';
import { routeTestServer, type TestServer } from '../support/server.ts';

type Json = Record<string, unknown>;
type Doc = Json & { openapi: string; paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The value at a `#/a/b` JSON pointer of `doc`, or undefined. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Json)[key];
  }
  return at;
}

function refsOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsOf(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  }
  return out;
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
const hasType = (v: unknown, t: string) => typeOf(v) === t || (t === 'number' && typeOf(v) === 'integer');

/**
 * Enough of JSON Schema 2020-12 for the documents' bodies (what z.toJSONSchema writes): returns the
 * instance paths that fail, [] when valid. A test-only validator, so the project needs no package.
 */
function validate(doc: unknown, schema: unknown, value: unknown, at = ''): string[] {
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [at];
  const s = schema as Json;
  const errors: string[] = [];
  if (typeof s.$ref === 'string') errors.push(...validate(doc, resolvePointer(doc, s.$ref), value, at));
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => hasType(value, t))) return [...errors, `${at} type`];
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => e === value)) errors.push(`${at} enum`);
  if ('const' in s && s.const !== value) errors.push(`${at} const`);
  if (typeof value === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${at} pattern`);
    if (typeof s.minLength === 'number' && [...value].length < s.minLength) errors.push(`${at} minLength`);
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength) errors.push(`${at} maxLength`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${at} minimum`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${at} maximum`);
  }
  if (Array.isArray(value)) {
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) errors.push(`${at} maxItems`);
    if (typeof s.minItems === 'number' && value.length < s.minItems) errors.push(`${at} minItems`);
    if (s.items !== undefined) value.forEach((v, i) => errors.push(...validate(doc, s.items, v, `${at}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Json;
    const props = (s.properties ?? {}) as Json;
    for (const name of (s.required ?? []) as string[]) if (!Object.hasOwn(obj, name)) errors.push(`${at}.${name} required`);
    for (const [name, v] of Object.entries(obj)) {
      if (Object.hasOwn(props, name)) errors.push(...validate(doc, props[name], v, `${at}.${name}`));
      else if (s.additionalProperties !== undefined) errors.push(...validate(doc, s.additionalProperties, v, `${at}.${name}`));
    }
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) errors.push(...validate(doc, sub, value, at));
  if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => validate(doc, sub, value, at).length === 0)) errors.push(`${at} anyOf`);
  if (Array.isArray(s.oneOf) && s.oneOf.filter((sub) => validate(doc, sub, value, at).length === 0).length !== 1) errors.push(`${at} oneOf`);
  return errors;
}

function bodySchemaOf(doc: Doc, method: string, route: string): unknown {
  const op = doc.paths[route]?.[method] as { requestBody?: { content: Record<string, { schema: unknown }> } } | undefined;
  return op?.requestBody?.content['application/json']?.schema;
}

/** Each dialect's README create example, and the route it goes to. */
const README_EXAMPLES: ReadonlyArray<{ name: string; route: string; path: string; body: Json }> = [
  {
    name: 'Kling legacy text2video',
    route: '/v1/videos/text2video',
    path: '/v1/videos/text2video',
    body: { model_name: 'kling-v3', prompt: 'An ancient Japanese courtyard, rain falling into a pond', duration: '5', mode: 'std', aspect_ratio: '16:9', sound: 'on' },
  },
  { name: 'Kling legacy image2video', route: '/v1/videos/image2video', path: '/v1/videos/image2video', body: { model_name: 'kling-v3', image: 'https://example.com/first.png', prompt: 'the box opens', duration: '5' } },
  {
    name: 'Kling new design',
    route: '/text-to-video/{model}',
    path: '/text-to-video/kling-3.0',
    body: {
      prompt: '镜头 1, 3, the girl walks toward the window; 镜头 2, 2, the camera zooms into her profile;',
      settings: { audio: 'native', resolution: '1080p', aspect_ratio: '16:9', duration: 5 },
      options: { external_task_id: 'window-1' },
    },
  },
  {
    name: 'Kling new design, image-to-video',
    route: '/image-to-video/{model}',
    path: '/image-to-video/kling-3.0',
    body: { contents: [{ type: 'prompt', text: 'the box opens' }, { type: 'first_frame', url: 'https://example.com/first.png' }], settings: { duration: 5 } },
  },
  { name: 'new-api passthrough', route: '/kling/v1/videos/text2video', path: '/kling/v1/videos/text2video', body: { model_name: 'kling-v3', prompt: 'A paper boat on a stream', duration: '5' } },
  {
    name: 'EvoLink',
    route: '/v1/videos/generations',
    path: '/v1/videos/generations',
    body: { model: 'kling-v3-text-to-video', prompt: 'A cat running on a grass field', duration: 5, aspect_ratio: '16:9', quality: '720p' },
  },
  { name: 'APIMart', route: '/v1/videos/generations', path: '/v1/videos/generations', body: { model: 'kling-v3', prompt: 'a golden retriever on the beach', mode: 'std', duration: 5 } },
  { name: 'Novita', route: '/v3/async/kling-v3.0-pro-t2v', path: '/v3/async/kling-v3.0-pro-t2v', body: { prompt: 'A lighthouse at dusk', duration: 5, sound: true, aspect_ratio: '16:9' } },
  { name: 'OpenAI', route: '/v1/videos', path: '/v1/videos', body: { model: 'kling-v3', prompt: 'A calico cat playing a piano', seconds: '5', size: '1280x720' } },
];

/** Bodies the document marks invalid (a required field missing, a value outside an enum), and the field the parser names. */
const REFUSED: ReadonlyArray<{ name: string; route: string; path: string; body: Json; field: string }> = [
  { name: 'EvoLink/APIMart without model', route: '/v1/videos/generations', path: '/v1/videos/generations', body: { prompt: 'a cat', duration: 5 }, field: 'model' },
  { name: 'OpenAI without prompt', route: '/v1/videos', path: '/v1/videos', body: { model: 'kling-v3', seconds: '5' }, field: 'prompt' },
  { name: 'Kling legacy mode outside the enum', route: '/v1/videos/text2video', path: '/v1/videos/text2video', body: { prompt: 'a cat', mode: 'ultra' }, field: 'mode' },
  { name: 'Kling legacy camera_control without type', route: '/v1/videos/text2video', path: '/v1/videos/text2video', body: { prompt: 'a cat', camera_control: {} }, field: 'camera_control.type' },
  { name: 'new-api sound outside the enum', route: '/kling/v1/videos/text2video', path: '/kling/v1/videos/text2video', body: { prompt: 'a cat', sound: 'loud' }, field: 'sound' },
  { name: 'Kling new design resolution outside the enum', route: '/text-to-video/{model}', path: '/text-to-video/kling-3.0', body: { prompt: 'a cat', settings: { resolution: '8k' } }, field: 'settings.resolution' },
  { name: 'Kling new design content of an unknown type', route: '/image-to-video/{model}', path: '/image-to-video/kling-3.0', body: { contents: [{ type: 'video', url: 'https://example.com/a.mp4' }] }, field: 'contents[0].type' },
  { name: 'APIMart mode outside the enum', route: '/v1/videos/generations', path: '/v1/videos/generations', body: { model: 'kling-v3', prompt: 'a cat', mode: 'ultra' }, field: 'mode' },
  { name: 'Novita aspect ratio outside the enum', route: '/v3/async/kling-v3.0-std-t2v', path: '/v3/async/kling-v3.0-std-t2v', body: { prompt: 'a cat', aspect_ratio: '4:3' }, field: 'aspect_ratio' },
  { name: 'Novita shot without prompt', route: '/v3/async/kling-v3.0-std-t2v', path: '/v3/async/kling-v3.0-std-t2v', body: { multi_prompt: [{ duration: 5 }] }, field: 'multi_prompt[0].prompt' },
];

describe('OpenAPI documents and the reference page', () => {
  let server: TestServer;
  let key: string;
  routeTestServer(
    (suite) => {
      server = suite.server;
      key = suite.key;
    },
    { stopWorker: true },
  );

  async function document(pathname: string): Promise<Doc> {
    const res = await server.api(pathname, { key: '' });
    expect(res.status, pathname).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return (await res.json()) as Doc;
  }

  function expectWellFormed(doc: Doc): void {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    const ids: string[] = [];
    for (const [route, item] of Object.entries(doc.paths)) {
      expect(route.startsWith('/'), route).toBe(true);
      const methods = Object.keys(item).filter((k) => METHODS.includes(k));
      expect(methods.length, `${route} has operations`).toBeGreaterThan(0);
      for (const method of methods) {
        const op = item[method] as Json & { responses: Json; parameters?: Array<Json> };
        expect(Object.keys(op.responses ?? {}).length, `${method} ${route} responses`).toBeGreaterThan(0);
        ids.push(op.operationId as string);
        // Media Type Objects hold only their four fields (a stray key makes the document invalid).
        const bodies = Object.values(((op.requestBody as Json | undefined)?.content ?? {}) as Json);
        const answers = Object.values(op.responses).flatMap((r) => Object.values(((r as Json).content ?? {}) as Json));
        for (const media of [...bodies, ...answers]) {
          for (const k of Object.keys(media as Json)) expect(['schema', 'example', 'examples', 'encoding'], `${method} ${route}: ${k}`).toContain(k);
        }
        // Every {param} of the path is declared, required, in: path.
        for (const [, name] of route.matchAll(/\{([^}]+)\}/g)) {
          expect(op.parameters?.find((p) => p.in === 'path' && p.name === name), `${method} ${route} {${name}}`).toMatchObject({ required: true });
        }
      }
    }
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);
    for (const ref of refsOf(doc)) expect(resolvePointer(doc, ref), `$ref ${ref} resolves`).toBeDefined();
  }

  it('serves /openapi.json as a well-formed OpenAPI 3.1 document whose every $ref resolves', async () => {
    expectWellFormed(await document('/openapi.json'));
  });

  it('serves one document per dialect, each a part of the combined one, and 404 for an unknown dialect', async () => {
    const combined = await document('/openapi.json');
    for (const dialect of DOC_DIALECTS) {
      const doc = await document(`/openapi/${dialect}.json`);
      expectWellFormed(doc);
      for (const route of Object.keys(doc.paths)) expect(Object.keys(combined.paths), `${dialect}: ${route}`).toContain(route);
    }
    expect(Object.keys((await document('/openapi/evolink.json')).paths)).toContain('/v1/videos/generations');
    expect(Object.keys((await document('/openapi/kling-new.json')).paths)).toContain('/text-to-video/{model}');
    const missing = await server.api('/openapi/sora.json', { key: '' });
    expect(missing.status).toBe(404);
  });

  it('documents every create route with its request body schema, and the admin routes in the combined document', async () => {
    const doc = await document('/openapi.json');
    expect(CREATE_PATHS.length).toBeGreaterThan(5);
    for (const route of CREATE_PATHS) {
      const schema = bodySchemaOf(doc, 'post', route);
      expect(schema, `POST ${route} has a JSON body schema`).toBeDefined();
    }
    for (const route of ['/admin/keys', '/admin/keys/{id}', '/admin/deliveries', '/v1/tasks/{id}/events', '/v1/tasks/{id}/cancel', '/v1/pricing/estimate']) {
      expect(Object.keys(doc.paths), route).toContain(route);
    }
    // The new design's path models are the served ones, as an enum.
    const model = (doc.paths['/text-to-video/{model}']?.post?.parameters as Json[]).find((p) => p.name === 'model');
    expect(model?.schema).toEqual({ type: 'string', enum: ['kling-3.0', 'kling-3.0-turbo'] });
    // Multipart is documented where the route takes it.
    expect(Object.keys((doc.paths['/v1/videos']?.post?.requestBody as { content: Json }).content)).toEqual(['application/json', 'multipart/form-data']);
  });

  it.each(README_EXAMPLES)('the README body of $name validates against the document and its route accepts it', async ({ route, path: createPath, body }) => {
    const doc = await document('/openapi.json');
    expect(validate(doc, bodySchemaOf(doc, 'post', route), body)).toEqual([]);
    // The estimate reads a body with the create route's own parser, and creates nothing.
    const res = await server.api('/v1/pricing/estimate', { method: 'POST', key, json: { path: createPath, body } });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it.each(REFUSED)('a body the document refuses ($name) is refused by the route, naming $field', async ({ route, path: createPath, body, field }) => {
    const doc = await document('/openapi.json');
    expect(validate(doc, bodySchemaOf(doc, 'post', route), body)).not.toEqual([]);
    const res = await server.api('/v1/pricing/estimate', { method: 'POST', key, json: { path: createPath, body } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field?: string } }).error.field).toBe(field);
  });

  it('marks a Kling body valid exactly when the parser takes its enums (property)', () => {
    const { combined: doc } = buildOpenApiDocuments({ models: ['kling-v3', 'kling-v3-turbo'] }) as unknown as { combined: Doc };
    const schema = bodySchemaOf(doc, 'post', '/v1/videos/text2video');
    const word = (values: string[]) => fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 4 }), fc.constant(null), fc.integer());
    fc.assert(
      fc.property(
        fc.record({ mode: word(['std', 'pro', '4k']), aspect_ratio: word(['16:9', '9:16', '1:1']), sound: word(['on', 'off']), cfg_scale: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.string({ maxLength: 2 })) }, { requiredKeys: [] }),
        (fields) => {
          const body = { model_name: 'kling-v3', prompt: 'a cat', duration: '5', ...fields };
          const valid = validate(doc, schema, body).length === 0;
          let accepted = true;
          try {
            parseKlingCreate(body, { models: ['kling-v3'], kind: 'text2video' });
          } catch (e) {
            if (!(e instanceof AppError)) throw e;
            accepted = false;
          }
          expect(accepted, JSON.stringify(body)).toBe(valid);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('serves /docs as HTML that loads only same-origin assets, and serves those assets', async () => {
    const res = await server.api('/docs', { key: '' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    const dist = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    for (const ref of refs) {
      expect(ref, 'same-origin, root-relative').toMatch(/^\/[^/]/);
      const asset = await server.api(ref, { key: '' });
      expect(asset.status, ref).toBe(200);
      const type = asset.headers.get('content-type') ?? '';
      const bytes = Buffer.from(await asset.arrayBuffer());
      if (ref.endsWith('.css')) expect(type).toMatch(/^text\/css/);
      else expect(type).toMatch(/^(text|application)\/javascript/);
      const name = path.basename(ref);
      if (name !== 'docs-init.js') expect(bytes.equals(readFileSync(path.join(dist, name))), `${ref} is the package's file`).toBe(true);
      else {
        // The page's own script: the documents it loads are this server's.
        const text = bytes.toString('utf8');
        expect(text).not.toMatch(/https?:\/\//);
        expect(text).toContain('/openapi.json');
        expect(text).toContain('validatorUrl: null');
      }
    }
    expect((await server.api('/docs/assets/package.json', { key: '' })).status).toBe(404);
  });
});
