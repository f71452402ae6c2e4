/**
 * Which channel a task goes to, and each channel's health. A model's tasks go to the channels
 * that serve it and can express the request, highest priority first, equal priorities in a
 * weighted random order. A channel that answered with a credentials or account error cools down
 * (30 s, doubling per repeat, at most 10 min) and is skipped meanwhile. Health is per process:
 * every instance learns it from its own calls.
 */
import type { ChannelConfig } from '../config.ts';
import type { TaskKind } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';
import type { RemoteProvider } from '../providers/remote-provider.ts';
import type { UpstreamError, UpstreamErrorClass } from '../providers/upstream-error.ts';

export type Channel = {
  config: ChannelConfig;
  provider: RemoteProvider;
  /** Reelay model -> upstream model name. */
  models: Readonly<Record<string, string>>;
  /** True for a URL on the channel's own origin: the operator trusts it, so it skips the client URL guard. */
  trusts(url: string): boolean;
};

export type ChannelError = { at: number; errorClass: UpstreamErrorClass; code: string; message: string };

export type ChannelHealth = {
  healthy: boolean;
  /** End of the current cool-down, when the channel is cooling down. */
  unhealthyUntil: number | null;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  /** The last errors, newest first. */
  recentErrors: ChannelError[];
};

export type Routing = {
  /** Channels to try, in order. */
  order: Channel[];
  /** Channels that serve the model but are cooling down after a channel error. */
  coolingDown: Channel[];
  /** Why channels that serve the model cannot take this request. */
  unsupported: string[];
};

export type ChannelRouter = {
  /** True when some channel serves `model` (else the preview renderer does). */
  serves(model: string): boolean;
  get(name: string): Channel | undefined;
  all(): readonly Channel[];
  route(request: VideoRequest, kind: TaskKind, now: number): Routing;
  recordError(name: string, error: UpstreamError, now: number): void;
  recordSuccess(name: string, now: number): void;
  health(name: string, now: number): ChannelHealth;
};

const RECENT_ERRORS = 20;
const COOL_DOWN_MS = 30_000;
const MAX_COOL_DOWN_MS = 10 * 60_000;

type HealthState = { unhealthyUntil: number | null; consecutive: number; lastSuccessAt: number | null; errors: ChannelError[] };

export function createChannelRouter(channels: readonly Channel[], random: () => number = Math.random): ChannelRouter {
  const byName = new Map(channels.map((c) => [c.config.name, c]));
  const states = new Map<string, HealthState>(channels.map((c) => [c.config.name, { unhealthyUntil: null, consecutive: 0, lastSuccessAt: null, errors: [] }]));
  const stateOf = (name: string): HealthState => {
    const s = states.get(name);
    if (!s) throw new Error(`unknown channel ${name}`);
    return s;
  };
  const cooling = (c: Channel, now: number) => {
    const until = stateOf(c.config.name).unhealthyUntil;
    return until !== null && until > now;
  };

  /** Weighted random order (Efraimidis-Spirakis): a channel of weight w leads with odds proportional to w. */
  function weightedOrder(group: Channel[]): Channel[] {
    return group
      .map((c) => ({ c, k: Math.pow(random(), 1 / c.config.weight) }))
      .sort((a, b) => b.k - a.k)
      .map((x) => x.c);
  }

  return {
    serves: (model) => channels.some((c) => Object.hasOwn(c.models, model)),
    get: (name) => byName.get(name),
    all: () => channels,
    route(request, kind, now) {
      const serving = channels.filter((c) => Object.hasOwn(c.models, request.model));
      const unsupported: string[] = [];
      const able = serving.filter((c) => {
        const why = c.provider.unsupported(request, kind);
        if (why !== null) unsupported.push(`${c.config.name}: ${why}`);
        return why === null;
      });
      const ready = able.filter((c) => !cooling(c, now));
      const priorities = [...new Set(ready.map((c) => c.config.priority))].sort((a, b) => b - a);
      const order = priorities.flatMap((p) => weightedOrder(ready.filter((c) => c.config.priority === p)));
      return { order, coolingDown: able.filter((c) => cooling(c, now)), unsupported };
    },
    recordError(name, error, now) {
      const s = stateOf(name);
      s.errors.unshift({ at: now, errorClass: error.errorClass, code: error.code, message: error.message });
      s.errors.length = Math.min(s.errors.length, RECENT_ERRORS);
      if (error.errorClass === 'channel') {
        s.consecutive += 1;
        s.unhealthyUntil = now + Math.min(MAX_COOL_DOWN_MS, COOL_DOWN_MS * 2 ** (s.consecutive - 1));
      }
    },
    recordSuccess(name, now) {
      const s = stateOf(name);
      s.consecutive = 0;
      s.unhealthyUntil = null;
      s.lastSuccessAt = now;
    },
    health(name, now) {
      const s = stateOf(name);
      const coolingNow = s.unhealthyUntil !== null && s.unhealthyUntil > now;
      return {
        healthy: !coolingNow,
        unhealthyUntil: coolingNow ? s.unhealthyUntil : null,
        consecutiveFailures: s.consecutive,
        lastSuccessAt: s.lastSuccessAt,
        recentErrors: [...s.errors],
      };
    },
  };
}
