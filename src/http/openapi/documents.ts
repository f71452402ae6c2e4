/**
 * The OpenAPI 3.1 documents: one per dialect and a combined one (every dialect plus the shared
 * and admin routes), written from the operation table and the request schemas converted from
 * the parsers' zod objects. Built once per server (the served models go into the path enums).
 */
import { KLING_NEW_PRODUCTS, resolveKlingNewModel } from '../../dialects/kling-new/models.ts';
import { DOC_DIALECTS, ERROR_EXAMPLES, STATIC_OPERATIONS, klingNewOperations, type DocDialect, type Operation, type OperationGroup } from './operations.ts';
import { requestSchemaComponents, type JsonSchema } from './request-schemas.ts';

export type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
  tags: Array<{ name: string; description: string }>;
};

export type OpenApiDocuments = { combined: OpenApiDocument; dialects: Record<DocDialect, OpenApiDocument> };

const TAGS: Record<OperationGroup, string> = {
  kling: 'Official Kling, legacy design (/v1/videos/...)',
  newapi: 'new-api passthrough (/kling/v1/videos/...)',
  'kling-new': 'Official Kling, new design',
  evolink: 'EvoLink unified',
  apimart: 'APIMart',
  novita: 'Novita async',
  openai: 'OpenAI videos',
  reelay: 'Reelay: pricing, health, metrics and admin',
};

/** [I] The new design's path model names; each is kept only if the route resolves it on this server. */
const KLING_NEW_PATH_MODELS = ['kling-3.0', 'kling-3.0-turbo'];

function servedPathModels(product: (typeof KLING_NEW_PRODUCTS)[number], models: readonly string[]): string[] {
  return KLING_NEW_PATH_MODELS.filter((name) => {
    try {
      resolveKlingNewModel(product, name, models);
      return true;
    } catch {
      return false;
    }
  });
}

function pathParameters(op: Operation): unknown[] {
  const given = op.parameters ?? [];
  const named = new Set(given.filter((p) => p.in === 'path').map((p) => p.name));
  const implied = [...op.path.matchAll(/\{([^}]+)\}/g)]
    .map((m) => m[1] as string)
    .filter((name) => !named.has(name))
    .map((name) => ({ name, in: 'path', required: true, description: name }));
  return [...given, ...implied].map((p) => ({ schema: { type: 'string' }, ...p, ...(p.in === 'path' ? { required: true } : {}) }));
}

function jsonContent(schema: unknown, example: unknown): Record<string, unknown> {
  return { schema, ...(example === undefined ? {} : { example }) };
}

/** One operation object, in the words of its group. */
function operationObject(op: Operation, group: OperationGroup): Record<string, unknown> {
  const body = op.body;
  const schemaOf = (s: NonNullable<Operation['body']>['schema']): Record<string, unknown> => {
    const schema = typeof s === 'string' ? { $ref: `#/components/schemas/${s}` } : s;
    // The dialect's parser takes only its own model names: the field's enum says which.
    if (!body?.picks) return schema;
    const { field, values } = body.picks;
    return { allOf: [schema, { type: 'object', properties: { [field]: { type: 'string', enum: [...values] } }, required: [field] }] };
  };
  const response: Record<string, unknown> = { description: op.response.description };
  const responseType = op.response.contentType ?? 'application/json';
  response.content = { [responseType]: responseType === 'application/json' ? jsonContent({}, op.response.example) : { schema: { type: 'string', format: 'binary' } } };
  const parameters = pathParameters(op);
  return {
    tags: [group],
    summary: op.summary,
    ...(op.description === undefined ? {} : { description: op.description }),
    operationId: `${group}_${op.method}_${op.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body
      ? {
          requestBody: {
            required: body.required ?? true,
            content: {
              'application/json': jsonContent(schemaOf(body.schema), body.example),
              ...(body.form ? { 'multipart/form-data': { schema: schemaOf(body.schema) } } : {}),
            },
          },
        }
      : {}),
    security: op.auth === 'none' ? [] : [{ [op.auth === 'master' ? 'masterKey' : 'apiKey']: [] }],
    responses: {
      [String(op.response.status)]: response,
      ...(op.auth === 'none' ? {} : { '4XX': { description: 'Refused, in the dialect’s error envelope, naming the field', content: { 'application/json': jsonContent({}, ERROR_EXAMPLES[group]) } } }),
    },
  };
}

/**
 * Two dialects on one method and path (EvoLink and APIMart share /v1/videos/generations and
 * /v1/tasks/{id}): the combined document lists one operation, whose body is either dialect's.
 */
function merged(first: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const bodySchema = (o: Record<string, unknown>) => (o.requestBody as { content: Record<string, { schema: unknown }> } | undefined)?.content['application/json']?.schema;
  const a = bodySchema(first);
  const b = bodySchema(next);
  const out: Record<string, unknown> = {
    ...first,
    tags: [...(first.tags as string[]), ...(next.tags as string[])],
    summary: `${String(first.summary)} | ${String(next.summary)}`,
    ...(first.description || next.description ? { description: [first.description, next.description].filter(Boolean).join('\n\n') } : {}),
    operationId: `${String(first.operationId)}_or_${String(next.tags && (next.tags as string[])[0])}`,
  };
  if (a && b) out.requestBody = { required: true, description: '`model` picks the dialect', content: { 'application/json': { schema: { anyOf: [a, b] } } } };
  return out;
}

function documentOf(title: string, description: string, ops: Array<{ op: Operation; group: OperationGroup }>, schemas: Record<string, JsonSchema>): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const { op, group } of ops) {
    const item = (paths[op.path] ??= {});
    const object = operationObject(op, group);
    item[op.method] = item[op.method] ? merged(item[op.method] as Record<string, unknown>, object) : object;
  }
  const used = new Set(ops.map((o) => o.group));
  // Only the schemas this document references (one level of $ref between them is followed).
  const text = JSON.stringify(paths);
  const wanted = Object.keys(schemas).filter((name) => text.includes(`"#/components/schemas/${name}"`));
  const inner = wanted.flatMap((name) => Object.keys(schemas).filter((other) => JSON.stringify(schemas[name]).includes(`"#/components/schemas/${other}"`)));
  const componentSchemas = Object.fromEntries([...new Set([...wanted, ...inner])].map((name) => [name, schemas[name] as JsonSchema]));
  return {
    openapi: '3.1.0',
    info: { title, version: '0.1.0', description },
    paths,
    components: {
      schemas: componentSchemas,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A Reelay API key (or, for the Kling dialects, an HS256 JWT signed with its access and secret key). Novita also takes the key without `Bearer`.' },
        masterKey: { type: 'http', scheme: 'bearer', description: 'The master key (data/master.key)' },
      },
    },
    tags: [...used].map((name) => ({ name, description: TAGS[name] })),
  };
}

export function buildOpenApiDocuments(options: { models: readonly string[] }): OpenApiDocuments {
  const schemas = requestSchemaComponents();
  const [text, image] = KLING_NEW_PRODUCTS.map((product) => servedPathModels(product, options.models));
  const operations = [...STATIC_OPERATIONS, ...klingNewOperations(text ?? [], image ?? [])];
  const forGroup = (group: OperationGroup) =>
    operations.filter((op) => op.group === group || (op.group === 'all' && group !== 'reelay')).map((op) => ({ op, group }));
  const combinedOps = [...DOC_DIALECTS, 'reelay' as const].flatMap((group) => operations.filter((op) => op.group === group).map((op) => ({ op, group })));
  combinedOps.push(...operations.filter((op) => op.group === 'all').map((op) => ({ op, group: 'reelay' as const })));
  const intro = 'Reelay: a self-hosted gateway for Kling v3 video generation. Request bodies are generated from the zod schemas the routes parse with.';
  const dialects = Object.fromEntries(
    DOC_DIALECTS.map((dialect) => [dialect, documentOf(`Reelay — ${TAGS[dialect]}`, `${intro} This document: ${TAGS[dialect]}.`, forGroup(dialect), schemas)]),
  ) as Record<DocDialect, OpenApiDocument>;
  return { combined: documentOf('Reelay', `${intro} Every dialect, and the shared and admin routes.`, combinedOps, schemas), dialects };
}
