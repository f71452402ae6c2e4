/**
 * Reelay as a client of an EvoLink-style unified task API (spec §2): `POST /v1/videos/generations`
 * with a Bearer key, then `GET /v1/tasks/{id}`.
 */
import type { RemoteProvider } from '../remote-provider.ts';
import { createResellerProvider, type ResellerDialect, type ResellerOptions } from '../reseller-shared.ts';
import type { UpstreamHttp } from '../upstream-http.ts';
import { evolinkCreatedSchema, evolinkState, evolinkTaskSchema, type EvolinkCreated, type EvolinkTaskAnswer } from './evolink-answers.ts';
import { evolinkCreateBody, evolinkUnsupported } from './evolink-body.ts';

/** Reelay model -> EvoLink model, when the channel configures none. EvoLink has no Kling v3 image-to-video model. */
export const EVOLINK_DEFAULT_MODELS = {
  'kling-v3': 'kling-v3-text-to-video',
  'kling-v3-turbo': 'kling-v3-turbo-text-to-video',
} as const satisfies Record<string, string>;

export const EVOLINK_DIALECT: ResellerDialect<EvolinkCreated, EvolinkTaskAnswer> = {
  protocol: 'evolink',
  unsupported: evolinkUnsupported,
  create: (submission) => ({ path: '/v1/videos/generations', body: evolinkCreateBody(submission) }),
  created: evolinkCreatedSchema,
  upstreamIdOf: (answer) => answer.id,
  taskPath: (id) => `/v1/tasks/${encodeURIComponent(id)}`,
  task: evolinkTaskSchema,
  stateOf: evolinkState,
};

export function createEvolinkProvider(options: ResellerOptions, deps: { http: UpstreamHttp }): RemoteProvider {
  return createResellerProvider(EVOLINK_DIALECT, options, deps);
}
