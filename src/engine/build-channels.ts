/** The configured channels -> providers, each with its own HTTP client (its pacing and deadline). */
import type { ChannelConfig } from '../config.ts';
import { APIMART_DEFAULT_MODELS, createApimartProvider } from '../providers/apimart/apimart-provider.ts';
import { EVOLINK_DEFAULT_MODELS, createEvolinkProvider } from '../providers/evolink/evolink-provider.ts';
import { KLING_DEFAULT_MODELS, createKlingProvider } from '../providers/kling/kling-provider.ts';
import { NOVITA_DEFAULT_MODELS, createNovitaProvider } from '../providers/novita/novita-provider.ts';
import type { RemoteProvider } from '../providers/remote-provider.ts';
import type { RequestPacer } from '../providers/request-pacer.ts';
import { createUpstreamHttp, type UpstreamCall, type UpstreamHttp } from '../providers/upstream-http.ts';
import type { Channel } from './channel-router.ts';

export type BuiltChannels = { channels: Channel[]; close(): Promise<void> };

/** Every call a channel's client sent: which channel (and its provider), how it ended (metrics). */
export type ChannelCallObserver = (call: UpstreamCall & { provider: ChannelConfig['provider']; channel: string }) => void;

function required(value: string | null, what: string, channel: string): string {
  // config.ts has already refused a channel without its credentials; this keeps the types honest.
  if (value === null) throw new Error(`channel ${channel}: ${what} is missing`);
  return value;
}

function providerFor(c: ChannelConfig, http: UpstreamHttp, now: () => number): { provider: RemoteProvider; defaults: Record<string, string> } {
  const base = { name: c.name, baseUrl: c.baseUrl };
  switch (c.provider) {
    case 'kling':
      return {
        provider: createKlingProvider(
          { ...base, protocol: 'kling', auth: { kind: 'jwt', accessKey: required(c.accessKey, 'access_key', c.name), secretKey: required(c.secretKey, 'secret_key', c.name) } },
          { http, now },
        ),
        defaults: KLING_DEFAULT_MODELS,
      };
    case 'newapi':
      return {
        provider: createKlingProvider({ ...base, protocol: 'newapi', auth: { kind: 'bearer', apiKey: required(c.apiKey, 'api_key', c.name) } }, { http, now }),
        defaults: KLING_DEFAULT_MODELS,
      };
    case 'evolink':
      return { provider: createEvolinkProvider({ ...base, apiKey: required(c.apiKey, 'api_key', c.name) }, { http }), defaults: EVOLINK_DEFAULT_MODELS };
    case 'apimart':
      return { provider: createApimartProvider({ ...base, apiKey: required(c.apiKey, 'api_key', c.name) }, { http }), defaults: APIMART_DEFAULT_MODELS };
    case 'novita':
      return { provider: createNovitaProvider({ ...base, apiKey: required(c.apiKey, 'api_key', c.name) }, { http }), defaults: NOVITA_DEFAULT_MODELS };
  }
}

/**
 * `servedModels` limits the default mappings to the models this server serves; `pacerFor` gives a
 * channel's pacing when it is shared with other instances (else each client paces on its own);
 * `observe` is told of every upstream call.
 */
export function buildChannels(
  configs: readonly ChannelConfig[],
  servedModels: readonly string[],
  now: () => number,
  pacerFor?: (c: ChannelConfig) => RequestPacer,
  observe?: ChannelCallObserver,
): BuiltChannels {
  const clients: UpstreamHttp[] = [];
  const channels = configs.map((c): Channel => {
    const http = createUpstreamHttp({
      timeoutMs: c.timeoutMs,
      requestsPerSecond: c.requestsPerSecond,
      ...(pacerFor ? { pacer: pacerFor(c) } : {}),
      ...(observe ? { observe: (call: UpstreamCall) => observe({ ...call, provider: c.provider, channel: c.name }) } : {}),
    });
    clients.push(http);
    const { provider, defaults } = providerFor(c, http, now);
    const models = c.models ?? Object.fromEntries(Object.entries(defaults).filter(([model]) => servedModels.includes(model)));
    const origin = new URL(c.baseUrl).origin;
    return {
      config: c,
      provider,
      models: Object.freeze({ ...models }),
      trusts: (url) => URL.canParse(url) && new URL(url).origin === origin,
    };
  });
  return { channels, close: async () => void (await Promise.allSettled(clients.map((h) => h.close()))) };
}
