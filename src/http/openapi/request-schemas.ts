/**
 * The request bodies of the OpenAPI documents, as JSON Schema (2020-12, OpenAPI 3.1's dialect),
 * converted with z.toJSONSchema from the very zod objects the create parsers run. Nothing here
 * restates a dialect's fields: a field added to a parser shows up in the documents.
 *
 * What JSON Schema cannot say (refinements such as "an http(s) URL", and the cross-field rules of
 * checkVideoRequest: shot durations adding up, voices needing sound) stays prose in the
 * descriptions; the parser remains the judge and names the field it refuses.
 */
import { z } from 'zod';
import { bodySchema as apimartBody } from '../../dialects/apimart/parse-create.ts';
import { bodySchema as evolinkBody } from '../../dialects/evolink/parse-create.ts';
import { bodySchema as klingBody, framesSchema as klingFrames } from '../../dialects/kling/parse-create.ts';
import { itemSchema as klingNewContent } from '../../dialects/kling-new/parse-contents.ts';
import { bodySchema as klingNewBody } from '../../dialects/kling-new/parse-create.ts';
import { listSchema as klingNewTaskList } from '../../dialects/kling-new/parse-task-queries.ts';
import { bodySchema as novitaBody } from '../../dialects/novita/parse-create.ts';
import { bodySchema as openAiBody } from '../../dialects/openai/parse-create.ts';
import { keyLimitFields } from '../key-limits-body.ts';

export type JsonSchema = Record<string, unknown>;

/** The components/schemas name of each body, and the zod object the route's parser reads it with. */
export const REQUEST_SCHEMAS = {
  KlingText2VideoRequest: klingBody,
  // image2video reads the same body, then its two frames (parseKlingCreate: framesSchema).
  KlingImage2VideoRequest: klingBody.extend(klingFrames.shape),
  KlingNewText2VideoRequest: klingNewBody,
  // parseContents reads `contents` as an array, then each item with itemSchema.
  KlingNewImage2VideoRequest: klingNewBody.extend({ contents: z.array(klingNewContent).nullish() }),
  KlingNewContent: klingNewContent,
  KlingNewTaskListRequest: klingNewTaskList,
  EvolinkCreateRequest: evolinkBody,
  ApimartCreateRequest: apimartBody,
  NovitaCreateRequest: novitaBody,
  OpenAiVideoCreateRequest: openAiBody,
  // [I] admin-routes.ts keeps its key bodies private; their limit fields are the shared
  // keyLimitFields, which is what is converted here (name and webhook_url are the two others).
  AdminKeyLimits: z.object(keyLimitFields),
} as const satisfies Record<string, z.ZodType>;

export type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

const SCHEMA_URI = (id: string) => `#/components/schemas/${id}`;

/**
 * `list()` (wire-shape.ts) is an array of unknown piped into an array of items, so that its length
 * is checked before its items are read. As input, zod would show only the first half (`items: {}`);
 * the document shows the items the parser then requires, with the length limit of the first half.
 */
function pipedArrays(ctx: { zodSchema: z.core.$ZodType; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  const def = ctx.zodSchema._zod.def;
  if (def.type !== 'pipe') return;
  const { in: input, out } = def as z.core.$ZodPipeDef;
  if (input._zod.def.type !== 'array' || out._zod.def.type !== 'array') return;
  const items = convert(out, 'input') as JsonSchema;
  delete items.$schema;
  const maxItems = ctx.jsonSchema.maxItems;
  for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
  Object.assign(ctx.jsonSchema, items, maxItems === undefined ? {} : { maxItems });
}

function convert(schema: z.core.$ZodType, io: 'input'): unknown {
  return z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any', override: pipedArrays });
}

/** Every request body as a components/schemas entry; references between them use `#/components/schemas/<name>`. */
export function requestSchemaComponents(): Record<RequestSchemaName, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(REQUEST_SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any', uri: SCHEMA_URI, override: pipedArrays });
  const out = {} as Record<RequestSchemaName, JsonSchema>;
  for (const id of Object.keys(REQUEST_SCHEMAS) as RequestSchemaName[]) {
    // `$id` with a fragment is not a valid 2020-12 id, and `$schema` is the document's dialect already.
    const { $schema: _dialect, $id: _id, ...schema } = (schemas[id] ?? {}) as JsonSchema;
    out[id] = schema;
  }
  return out;
}
