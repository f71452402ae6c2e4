/** What `GET /admin/channels` shows: each channel's settings (never its secrets), health and load. */
import type { UpstreamTasks } from '../store/upstream-tasks.ts';
import type { ChannelError, ChannelRouter } from './channel-router.ts';

export type ChannelStatus = {
  name: string;
  provider: string;
  base_url: string;
  models: Record<string, string>;
  priority: number;
  weight: number;
  max_concurrency: number;
  requests_per_second: number;
  healthy: boolean;
  /** ms epoch; present while the channel cools down after a credentials or account error. */
  unhealthy_until: number | null;
  consecutive_failures: number;
  last_success_at: number | null;
  /** Tasks holding a slot of this channel now (submitted or awaiting a submit answer, to terminal). */
  in_flight: number;
  recent_errors: Array<{ at: number; class: ChannelError['errorClass']; code: string; message: string }>;
};

export function createChannelStatus(router: ChannelRouter, upstream: UpstreamTasks, now: () => number): () => Promise<ChannelStatus[]> {
  return async () => {
    const active = await upstream.activeByProvider();
    const t = now();
    return router.all().map((c) => {
      const h = router.health(c.config.name, t);
      return {
        name: c.config.name,
        provider: c.config.provider,
        base_url: c.config.baseUrl,
        models: { ...c.models },
        priority: c.config.priority,
        weight: c.config.weight,
        max_concurrency: c.config.maxConcurrency,
        requests_per_second: c.config.requestsPerSecond,
        healthy: h.healthy,
        unhealthy_until: h.unhealthyUntil,
        consecutive_failures: h.consecutiveFailures,
        last_success_at: h.lastSuccessAt,
        in_flight: active.get(c.config.name) ?? 0,
        recent_errors: h.recentErrors.map((e) => ({ at: e.at, class: e.errorClass, code: e.code, message: e.message })),
      };
    });
  };
}
