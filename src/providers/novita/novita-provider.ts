/**
 * Reelay as a client of a Novita-style async API (spec §4): `POST /v3/async/<model>-<tier>-t2v`
 * with a Bearer key, then `GET /v3/async/task-result?task_id=`.
 */
import type { RemoteProvider } from '../remote-provider.ts';
import { createResellerProvider, type ResellerDialect, type ResellerOptions } from '../reseller-shared.ts';
import type { UpstreamHttp } from '../upstream-http.ts';
import { novitaCreatedSchema, novitaState, novitaTaskSchema, type NovitaCreated, type NovitaTaskAnswer } from './novita-answers.ts';
import { novitaCreateBody, novitaCreatePath, novitaUnsupported } from './novita-body.ts';

/** Reelay model -> the model part of Novita's path, when the channel configures none. Novita has no turbo path. */
export const NOVITA_DEFAULT_MODELS = { 'kling-v3': 'kling-v3.0' } as const satisfies Record<string, string>;

export const NOVITA_DIALECT: ResellerDialect<NovitaCreated, NovitaTaskAnswer> = {
  protocol: 'novita',
  unsupported: novitaUnsupported,
  create: (submission) => ({ path: novitaCreatePath(submission.upstreamModel, submission.request), body: novitaCreateBody(submission) }),
  created: novitaCreatedSchema,
  upstreamIdOf: (answer) => answer.task_id,
  taskPath: (id) => `/v3/async/task-result?${new URLSearchParams({ task_id: id }).toString()}`,
  task: novitaTaskSchema,
  stateOf: novitaState,
};

export function createNovitaProvider(options: ResellerOptions, deps: { http: UpstreamHttp }): RemoteProvider {
  return createResellerProvider(NOVITA_DIALECT, options, deps);
}
