/**
 * Every create route, by the path a client POSTs to: what its body means (dialect, task kind,
 * VideoRequest), read by the very parser that route runs, and the largest body it reads. The
 * estimate (`POST /v1/pricing/estimate`) prices a body through this table, so a body the create
 * route refuses is refused with the same message and field.
 *
 * The prefixes repeat how app.ts mounts the route groups; the segments below them come from the
 * same constants the route files loop over, so a new kind, product or Novita model is picked up.
 */
import { AppError } from '../domain/errors.ts';
import { TASK_KINDS, type TaskKind } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';
import type { KlingFlavor } from '../dialects/kling/flavors.ts';
import { parseKlingCreate } from '../dialects/kling/parse-create.ts';
import { KLING_NEW_PRODUCTS, resolveKlingNewModel, type KlingNewProduct } from '../dialects/kling-new/models.ts';
import { parseKlingNewCreate } from '../dialects/kling-new/parse-create.ts';
import { NOVITA_MODELS, parseNovitaCreate, type NovitaModel } from '../dialects/novita/parse-create.ts';
import { parseOpenAiCreate } from '../dialects/openai/parse-create.ts';
import { IMAGE_BODY_BYTES, MAX_BODY_BYTES } from './read-json.ts';
import { KLING_NEW_DIALECT } from './routes/kling-new-routes.ts';
import { NOVITA_DIALECT } from './routes/novita-routes.ts';
import { OPENAI_DIALECT } from './routes/openai-video-routes.ts';
import { parseUnifiedCreate, unifiedDialectOf } from './unified-create.ts';

export type ParsedCreate = { dialect: string; kind: TaskKind; request: VideoRequest };

/** One create route's reading of a JSON body; throws the route's AppError on a body it refuses. */
export type CreateRequestParser = { maxBytes: number; parse: (body: unknown) => ParsedCreate };

type CreateRoute = {
  /** The path as listed to clients (`{model}` where the path names the model). */
  shown: string;
  match: (path: string, models: readonly string[]) => CreateRequestParser | null;
};

type Parse = (body: unknown, models: readonly string[]) => ParsedCreate;

function exactPath(shown: string, maxBytes: number, parse: Parse): CreateRoute {
  return { shown, match: (path, models) => (path === shown ? { maxBytes, parse: (body) => parse(body, models) } : null) };
}

/** `/v1/videos/{kind}` (official Kling) and `/kling/v1/videos/{kind}` (new-api), as kling-routes.ts mounts them. */
const KLING_PREFIXES: ReadonlyArray<[string, KlingFlavor]> = [['/v1', 'kling'], ['/kling/v1', 'newapi']];

const klingRoutes = KLING_PREFIXES.flatMap(([prefix, flavor]) =>
  TASK_KINDS.map((kind) =>
    exactPath(`${prefix}/videos/${kind}`, kind === 'image2video' ? IMAGE_BODY_BYTES : MAX_BODY_BYTES, (body, models) => ({
      dialect: flavor,
      kind,
      request: parseKlingCreate(body, { models, kind }),
    })),
  ),
);

/** `/text-to-video/{model}`: the model is one path segment, resolved as the route resolves it (1203 first). */
function klingNewRoute(product: KlingNewProduct): CreateRoute {
  const prefix = `/${product}/`;
  return {
    shown: `${prefix}{model}`,
    match: (path, models) => {
      const pathModel = path.startsWith(prefix) ? path.slice(prefix.length) : '';
      if (pathModel === '' || pathModel.includes('/')) return null;
      return {
        maxBytes: MAX_BODY_BYTES,
        parse: (body) => {
          const { model, kind } = resolveKlingNewModel(product, pathModel, models);
          return { dialect: KLING_NEW_DIALECT, kind, request: parseKlingNewCreate(body, { model, kind }) };
        },
      };
    },
  };
}

const unifiedRoute = exactPath('/v1/videos/generations', MAX_BODY_BYTES, (body, models) => {
  const dialect = unifiedDialectOf(body, models);
  return { dialect, ...parseUnifiedCreate(dialect, body, models) };
});

const novitaRoutes = (Object.keys(NOVITA_MODELS) as NovitaModel[]).map((model) =>
  exactPath(`/v3/async/${model}`, MAX_BODY_BYTES, (body, models) => ({
    dialect: NOVITA_DIALECT,
    kind: 'text2video',
    request: parseNovitaCreate(body, { models, model }),
  })),
);

const openAiRoute = exactPath('/v1/videos', MAX_BODY_BYTES, (body, models) => ({
  dialect: OPENAI_DIALECT,
  kind: 'text2video',
  request: parseOpenAiCreate(body, { models }),
}));

const CREATE_ROUTES: readonly CreateRoute[] = [...klingRoutes, unifiedRoute, openAiRoute, ...novitaRoutes, ...KLING_NEW_PRODUCTS.map(klingNewRoute)];

/** Every create path, for telling a client which ones there are. */
export const CREATE_PATHS: readonly string[] = CREATE_ROUTES.map((r) => r.shown);

/** The parser of the create route at `path` (exactly as POSTed, no query), or null when no create route is there. */
export function createRequestParser(path: string, models: readonly string[]): CreateRequestParser | null {
  for (const route of CREATE_ROUTES) {
    const parser = route.match(path, models);
    if (parser) return parser;
  }
  return null;
}

/**
 * A body as the create route at `path` would take it: its size limit (`bytes`, as the caller
 * measured the body), then its parser. For the places that judge a body without that route:
 * the price estimate and the dashboard's playground. `path` must be a create path.
 */
export function parseAsCreateRoute(path: string, body: unknown, bytes: number, models: readonly string[]): ParsedCreate {
  const parser = createRequestParser(path, models);
  if (!parser) throw new Error(`no create route at ${path}`);
  if (bytes > parser.maxBytes) {
    throw new AppError('body_too_large', `body must be at most ${parser.maxBytes} bytes (${parser.maxBytes / 1024 / 1024} MiB) for ${path}; it is ${bytes}`, { field: 'body' });
  }
  return parser.parse(body);
}
