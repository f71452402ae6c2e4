/**
 * Reelay as a client of APIMart (spec §5): `POST /v1/videos/generations` with a Bearer key, then
 * `GET /v1/tasks/{id}`, both in `{"code":200,"data":...}`.
 */
import type { RemoteProvider } from '../remote-provider.ts';
import { createResellerProvider, type ResellerDialect, type ResellerOptions } from '../reseller-shared.ts';
import type { UpstreamHttp } from '../upstream-http.ts';
import { apimartCreatedSchema, apimartState, apimartTaskSchema, type ApimartCreated, type ApimartTaskAnswer } from './apimart-answers.ts';
import { apimartCreateBody, apimartUnsupported } from './apimart-body.ts';

/**
 * Reelay model -> APIMart model, when the channel configures none. APIMart names one Kling v3
 * model (image_urls make it image-to-video) and no turbo model.
 */
export const APIMART_DEFAULT_MODELS = { 'kling-v3': 'kling-v3' } as const satisfies Record<string, string>;

export const APIMART_DIALECT: ResellerDialect<ApimartCreated, ApimartTaskAnswer> = {
  protocol: 'apimart',
  unsupported: apimartUnsupported,
  create: (submission) => ({ path: '/v1/videos/generations', body: apimartCreateBody(submission) }),
  created: apimartCreatedSchema,
  upstreamIdOf: (answer) => answer.data[0].task_id,
  taskPath: (id) => `/v1/tasks/${encodeURIComponent(id)}`,
  task: apimartTaskSchema,
  stateOf: apimartState,
};

export function createApimartProvider(options: ResellerOptions, deps: { http: UpstreamHttp }): RemoteProvider {
  return createResellerProvider(APIMART_DIALECT, options, deps);
}
