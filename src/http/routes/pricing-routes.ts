/**
 * Prices for clients, with any valid key (the master key too), in Reelay's own envelope:
 * `GET /v1/pricing`, the price table of the served models, and `POST /v1/pricing/estimate`, what
 * a create body of any dialect would hold, read by that create route's own parser and priced as
 * createTask prices it. The estimate creates nothing and holds nothing.
 *
 * [I] The estimate does not apply what only a real create checks: the key's limits (models,
 * budget, rate, tasks in flight) and the operator's callback URL rules; it answers what the
 * request costs, not whether this key may run it now.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { toCredits } from '../../billing/credits.ts';
import { priceList } from '../../billing/price-list.ts';
import type { PriceTable } from '../../billing/price-table.ts';
import { AppError } from '../../domain/errors.ts';
import { priceOf } from '../../engine/create-task.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import { CREATE_PATHS, createRequestParser, parseAsCreateRoute } from '../create-request-parsers.ts';
import { IMAGE_BODY_BYTES, limitBody, readJsonBody } from '../read-json.ts';
import { errorResponse, type RenderError } from '../to-app-error.ts';

export type PricingRouteDeps = {
  authenticate: Authenticator;
  /** Canonical model names this server serves (config `models`). */
  models: readonly string[];
  /** The merged price table (config `prices` over the defaults). */
  prices: PriceTable;
  log: Logger;
};

/** The largest create body (image-to-video with two base64 images) plus room for `path` and the wrapping. */
const ESTIMATE_BODY_BYTES = IMAGE_BODY_BYTES + 64 * 1024;

/** Reelay's envelope with the field named, as clients fix a body by its field. */
const pricingError: RenderError = (error, requestId) => ({
  // At create an unserved model is a 404 (nothing lives at that path); here the estimate's path
  // exists and what is wrong is the body it carries.
  status: error.code === 'model_not_found' ? 400 : error.status,
  body: { error: { code: error.code, message: error.message, request_id: requestId, ...(error.field === undefined ? {} : { field: error.field }) } },
});

/** `{path, body}`: the create path the client would POST to and the JSON body it would send. */
function readEstimateRequest(raw: unknown): { path: string; body: unknown } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AppError('invalid_parameter', 'request body must be a JSON object: {"path": "<create path>", "body": {<create body>}}');
  }
  const fields = raw as Record<string, unknown>;
  const extra = Object.keys(fields).filter((k) => k !== 'path' && k !== 'body');
  const [first] = extra;
  if (first !== undefined) throw new AppError('invalid_parameter', `unknown field ${extra.join(', ')}: only path and body are read`, { field: first });
  if (typeof fields.path !== 'string') {
    throw new AppError('invalid_parameter', `path must be a string: the create path the body would be POSTed to (${CREATE_PATHS.join(', ')})`, { field: 'path' });
  }
  if (fields.body === undefined) throw new AppError('invalid_parameter', 'body is required: the JSON create body the client would POST to path', { field: 'body' });
  return { path: fields.path, body: fields.body };
}

export function createPricingRoutes(deps: PricingRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Per route, not `use('*')`: every dialect shares the /v1 prefix and answers in its own words.
  const auth = createMiddleware<AppEnv>(async (c, next) => {
    c.set('owner', await deps.authenticate(c.req.header('authorization')));
    await next();
  });

  // Built once: the table and the served models are fixed for the life of the process.
  const list = priceList(deps.prices, deps.models);
  app.get('/pricing', auth, (c) => c.json(list, 200));

  app.post('/pricing/estimate', auth, limitBody(ESTIMATE_BODY_BYTES), async (c) => {
    const { path, body } = readEstimateRequest(await readJsonBody(c));
    if (!createRequestParser(path, deps.models)) {
      const shown = path.length > 64 ? `${path.slice(0, 64)}…` : path;
      throw new AppError('invalid_parameter', `path '${shown}' is not a create path; create paths: ${CREATE_PATHS.join(', ')}`, { field: 'path' });
    }
    // The create route stops reading at its limit. Measured on the body re-serialized compactly,
    // as clients send it: the bytes of one client's spacing are not known here.
    const { dialect, request } = parseAsCreateRoute(path, body, Buffer.byteLength(JSON.stringify(body)), deps.models);
    const price = priceOf(deps.prices, request);
    return c.json(
      {
        dialect,
        model: price.model,
        tier: price.tier,
        duration: price.seconds,
        sound: price.audio,
        voices: price.voices,
        billing_rule: 'per_second',
        credits_per_second: toCredits(price.perSecondMicros),
        credits: toCredits(price.holdMicros),
      },
      200,
    );
  });

  // Other methods and paths under /v1/pricing answer here, not in a dialect's words.
  app.all('/pricing', (c) => {
    throw new AppError('route_not_found', `${c.req.method} ${c.req.path} is not a Reelay route; use GET /v1/pricing`);
  });
  app.all('/pricing/*', (c) => {
    throw new AppError('route_not_found', `${c.req.method} ${c.req.path} is not a Reelay route; use POST /v1/pricing/estimate`);
  });

  app.onError((e, c) => errorResponse(c, deps.log, e, pricingError));
  return app;
}
