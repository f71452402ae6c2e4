/**
 * Which channel a task goes to, and each channel's health. A model's tasks go to the channels
 * that serve it and can express the request, highest priority first, equal priorities in a
 * weighted random order. A channel cooling down after a credentials or account error
 * (channel-health.ts) is skipped meanwhile.
 *
 * Health is shared: with `shared`, every change is applied to the stored state under its row's
 * lock (so errors seen by several instances all count) and the result replaces this instance's
 * copy; `reload` takes in what other instances changed (on their notification, and at start).
 * Routing reads the local copy, so it never waits on the database.
 */
import type { ChannelConfig } from '../config.ts';
import type { TaskKind } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';
import type { RemoteProvider } from '../providers/remote-provider.ts';
import type { UpstreamError } from '../providers/upstream-error.ts';
import type { ChannelStates } from '../store/channel-states.ts';
import { afterError, afterSuccess, fromRecord, initialHealth, toRecord, type ChannelError, type HealthState } from './channel-health.ts';

export type { ChannelError } from './channel-health.ts';

export type Channel = {
  config: ChannelConfig;
  provider: RemoteProvider;
  /** Reelay model -> upstream model name. */
  models: Readonly<Record<string, string>>;
  /** True for a URL on the channel's own origin: the operator trusts it, so it skips the client URL guard. */
  trusts(url: string): boolean;
};

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
  /** Reads the shared health of `name` (every channel when absent) into this instance. */
  reload(name?: string): Promise<void>;
  /** Resolves when every health change so far is stored. */
  settled(): Promise<void>;
};

export type SharedHealth = {
  states: ChannelStates;
  /** A store failure: the local copy stays in charge until the next reload. */
  onError: (error: unknown) => void;
};

export function createChannelRouter(channels: readonly Channel[], random: () => number = Math.random, shared?: SharedHealth): ChannelRouter {
  const byName = new Map(channels.map((c) => [c.config.name, c]));
  const states = new Map<string, HealthState>(channels.map((c) => [c.config.name, initialHealth()]));
  const pending = new Set<Promise<void>>();
  const stateOf = (name: string): HealthState => {
    const s = states.get(name);
    if (!s) throw new Error(`unknown channel ${name}`);
    return s;
  };
  /** Applies `change` here at once, then to the shared state; the stored result wins. */
  function apply(name: string, change: (s: HealthState) => HealthState): void {
    states.set(name, change(stateOf(name)));
    if (!shared) return;
    const write = shared.states
      .change(name, (r) => toRecord(change(fromRecord(r))))
      .then((stored) => void states.set(name, fromRecord(stored)))
      .catch(shared.onError)
      .finally(() => pending.delete(write));
    pending.add(write);
  }
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
      apply(name, (s) => afterError(s, error, now));
    },
    recordSuccess(name, now) {
      apply(name, (s) => afterSuccess(s, now));
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
    async reload(name) {
      if (!shared) return;
      const names = name === undefined ? [...byName.keys()] : byName.has(name) ? [name] : [];
      if (names.length === 0) return;
      try {
        for (const [n, r] of await shared.states.load(names)) if (byName.has(n)) states.set(n, fromRecord(r));
      } catch (e) {
        shared.onError(e);
      }
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
