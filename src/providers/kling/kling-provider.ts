/**
 * The official Kling legacy API as a remote provider (spec §1), and its `newapi` flavour: a
 * new-api style reseller, or another Reelay, serving the same bodies under `/kling/v1` with a
 * plain API key (spec §3). One provider per channel; it holds no state but the JWT cache.
 */
import type { TaskKind } from '../../domain/task.ts';
import type { RemoteProvider } from '../remote-provider.ts';
import { isUpstreamError, UpstreamError } from '../upstream-error.ts';
import type { UpstreamHttp } from '../upstream-http.ts';
import { badAnswer, klingCallbackStateOf, klingEnvelopeOf, klingStateOf, klingTaskIdOf } from './kling-answers.ts';
import { klingCreateBody, klingUnsupported } from './kling-body.ts';
import { httpAnswerError, KLING_TOKEN_CODES, klingCodeError } from './kling-errors.ts';
import { createKlingTokenSource } from './kling-jwt.ts';
import { isNewApiAnswer, newApiQueryIdOf, newApiStateOf, newApiTaskIdOf } from './newapi-answers.ts';

/** Reelay model -> Kling `model_name`. The legacy API has no turbo model (it is new-design only, §1.11). */
export const KLING_DEFAULT_MODELS: Readonly<Record<string, string>> = { 'kling-v3': 'kling-v3' };

export type KlingProviderOptions = {
  name: string;
  baseUrl: string;
  auth: { kind: 'jwt'; accessKey: string; secretKey: string } | { kind: 'bearer'; apiKey: string };
  protocol: 'kling' | 'newapi';
};

export type KlingProviderDeps = { http: UpstreamHttp; now: () => number };

const USER_AGENT = 'reelay/0.1';

/** A Kling envelope's `data`, or (newapi only) stock new-api's own answer, whole. */
type Answer = { kind: 'kling'; data: unknown } | { kind: 'newapi'; json: unknown };

export function createKlingProvider(options: KlingProviderOptions, deps: KlingProviderDeps): RemoteProvider {
  const base = options.baseUrl.replace(/\/+$/, '');
  const root = options.protocol === 'newapi' ? `${base}/kling/v1` : `${base}/v1`;
  const { auth } = options;
  const tokens = auth.kind === 'jwt' ? createKlingTokenSource({ accessKey: auth.accessKey, secretKey: auth.secretKey, now: deps.now }) : null;
  const taskUrl = (kind: TaskKind, id: string) => `${root}/videos/${kind}/${encodeURIComponent(id)}`;

  async function exchange(method: 'GET' | 'POST', url: string, json: unknown, signal: AbortSignal): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const token = tokens ? await tokens.token() : auth.kind === 'bearer' ? auth.apiKey : '';
      const headers = { authorization: `Bearer ${token}`, 'user-agent': USER_AGENT };
      const response = await deps.http.request(method, url, { headers, signal, ...(json === undefined ? {} : { json }) });
      const envelope = klingEnvelopeOf(response.json);
      // §1.4: a non-zero code is an error even on HTTP 200.
      if (envelope !== null && envelope.code !== 0) {
        // Not yet valid or expired: our clock or our cache is off, and a fresh token fixes both.
        // Once only; Kling refused the call unread, so even a create is safe to repeat.
        if (tokens && attempt === 1 && KLING_TOKEN_CODES.includes(envelope.code)) {
          tokens.invalidate();
          continue;
        }
        throw klingCodeError(response, envelope.code, envelope.message);
      }
      if (response.status < 200 || response.status > 299) throw httpAnswerError(response);
      if (envelope !== null) return { kind: 'kling', data: envelope.data };
      if (options.protocol === 'newapi' && isNewApiAnswer(response.json)) return { kind: 'newapi', json: response.json };
      const snippet = response.text.replace(/\s+/g, ' ').trim().slice(0, 200);
      throw badAnswer(`the upstream answered HTTP ${response.status} without a Kling envelope {code, message, data}${snippet ? `: ${snippet}` : ' (empty body)'}`);
    }
  }

  return {
    kind: 'remote',
    name: options.name,
    protocol: options.protocol,

    unsupported: klingUnsupported,

    async submit(submission, signal) {
      // Routing skips this channel for such a request; sending it anyway would silently drop parts.
      const why = klingUnsupported(submission.request, submission.kind);
      if (why !== null) throw new UpstreamError('rejected', 'unsupported', why);
      const answer = await exchange('POST', `${root}/videos/${submission.kind}`, klingCreateBody(submission), signal);
      return { upstreamId: answer.kind === 'kling' ? klingTaskIdOf(answer.data) : newApiTaskIdOf(answer.json) };
    },

    async check(ref, signal) {
      let answer: Answer;
      try {
        answer = await exchange('GET', taskUrl(ref.kind, ref.upstreamId), undefined, signal);
      } catch (e) {
        if (isUpstreamError(e) && isTaskNotFound(e) && e.errorClass !== 'not_found') {
          throw new UpstreamError('not_found', e.code, e.message, { httpStatus: e.httpStatus, cause: e });
        }
        throw e;
      }
      return answer.kind === 'kling' ? klingStateOf(answer.data) : newApiStateOf(answer.json);
    },

    // Kling's callbacks carry what its query answers (§1.7); new-api's passthrough forwards none.
    parseCallback: options.protocol === 'kling' ? (body, ref) => klingCallbackStateOf(body, ref.upstreamId) : undefined,

    // §1.5: the query path takes the external_task_id in place of the task id.
    async lookup(ref, signal) {
      let answer: Answer;
      try {
        answer = await exchange('GET', taskUrl(ref.kind, ref.reelayId), undefined, signal);
      } catch (e) {
        if (!isUpstreamError(e)) throw e;
        // Stock new-api looks tasks up by its own public id only: its "no such task" says
        // nothing about our external id, and a null here would make the engine submit twice.
        if (e.code === 'task_not_exist') {
          throw new UpstreamError('ambiguous', e.code, `this new-api upstream cannot find tasks by external_task_id, so whether ${ref.reelayId} was submitted is unknown`, { httpStatus: e.httpStatus, cause: e });
        }
        if (isTaskNotFound(e)) return null;
        throw e;
      }
      return { upstreamId: answer.kind === 'kling' ? klingTaskIdOf(answer.data, 'the query answer') : newApiQueryIdOf(answer.json) };
    },
  };
}

/**
 * Only clear signals that the upstream has no such task: 1203 (resource does not exist), a bare
 * HTTP 404, or a 1201 whose message says so. Anything else may hide a task that exists.
 */
function isTaskNotFound(e: UpstreamError): boolean {
  if (e.code === '1203') return true;
  if (e.code === '1201') return /\b(not\s+(be\s+)?found|not\s+exist|does\s+not\s+exist|no\s+such)\b/i.test(e.message);
  return e.errorClass === 'not_found';
}
