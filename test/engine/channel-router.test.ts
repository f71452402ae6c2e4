/**
 * The channel router on its own, with fake channels: the order a task tries channels in
 * (priority, then weight), channels that cannot express a request, models nobody serves, and
 * each channel's health (cool-down after a channel error, doubling, cleared by a success; the
 * recent errors list).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type ChannelConfig } from '../../src/config.ts';
import { createChannelRouter, type Channel } from '../../src/engine/channel-router.ts';
import type { TaskKind } from '../../src/domain/task.ts';
import type { VideoRequest } from '../../src/domain/video-request.ts';
import type { RemoteProvider } from '../../src/providers/remote-provider.ts';
import { UpstreamError, type UpstreamErrorClass } from '../../src/providers/upstream-error.ts';
import { mulberry32 } from '../../tools/kling-sim/sim-random.ts';
import { tempDir } from '../support/temp-dir.ts';
import { videoRequest } from '../support/video-request.ts';

const seeded = mulberry32;

/** A kling channel with the config file's defaults (read through loadConfig), then `over`. */
let defaults: ChannelConfig | undefined;
function channelConfig(over: Partial<ChannelConfig> & { name: string }): ChannelConfig {
  if (!defaults) {
    const dir = tempDir('reelay-router-defaults-');
    const file = path.join(dir.dir, 'config.json');
    writeFileSync(file, JSON.stringify({ channels: [{ name: 'x', provider: 'kling', base_url: 'https://kling.example', access_key: 'ak', secret_key: 'sk' }] }));
    defaults = loadConfig({ REELAY_CONFIG: file }).channels[0];
    dir.remove();
  }
  if (!defaults) throw new Error('no default channel');
  return { ...defaults, ...over };
}

/** A provider that never talks to anything; `unsupported` decides per request. */
function fakeProvider(name: string, unsupported: (request: VideoRequest, kind: TaskKind) => string | null = () => null): RemoteProvider {
  return {
    kind: 'remote',
    name,
    protocol: 'fake',
    unsupported,
    submit: () => Promise.reject(new Error('not used')),
    check: () => Promise.reject(new Error('not used')),
  };
}

function fakeChannel(
  config: ChannelConfig,
  options: { models?: Record<string, string>; unsupported?: (request: VideoRequest, kind: TaskKind) => string | null } = {},
): Channel {
  return {
    config,
    provider: fakeProvider(config.name, options.unsupported),
    models: Object.freeze({ ...(options.models ?? { 'kling-v3': 'kling-v3' }) }),
    trusts: () => false,
  };
}

const names = (channels: readonly Channel[]) => channels.map((c) => c.config.name);
const err = (errorClass: UpstreamErrorClass, code = 'x', message = `${errorClass} ${code}`) => new UpstreamError(errorClass, code, message);
const request = videoRequest();

describe('createChannelRouter: order', () => {
  it('tries higher priorities first, whatever the configured order (negative priorities last)', () => {
    const router = createChannelRouter(
      [
        fakeChannel(channelConfig({ name: 'low', priority: -5 })),
        fakeChannel(channelConfig({ name: 'mid', priority: 0 })),
        fakeChannel(channelConfig({ name: 'high', priority: 10 })),
        fakeChannel(channelConfig({ name: 'higher', priority: 11 })),
      ],
      seeded(1),
    );
    for (let i = 0; i < 50; i++) {
      const routing = router.route(request, 'text2video', 0);
      expect(names(routing.order)).toEqual(['higher', 'high', 'mid', 'low']);
      expect(routing.coolingDown).toEqual([]);
      expect(routing.unsupported).toEqual([]);
    }
  });

  it('keeps priority groups apart even when a lower group has the heavier weight', () => {
    const router = createChannelRouter(
      [
        fakeChannel(channelConfig({ name: 'a', priority: 1, weight: 1 })),
        fakeChannel(channelConfig({ name: 'b', priority: 1, weight: 1 })),
        fakeChannel(channelConfig({ name: 'heavy', priority: 0, weight: 1000 })),
      ],
      seeded(2),
    );
    for (let i = 0; i < 200; i++) {
      const order = names(router.route(request, 'text2video', 0).order);
      expect(order).toHaveLength(3);
      expect(order[2]).toBe('heavy');
      expect(new Set(order.slice(0, 2))).toEqual(new Set(['a', 'b']));
    }
  });

  it('puts a weight-3 channel first about 75 % of the time against a weight-1 one of equal priority', () => {
    const router = createChannelRouter(
      [fakeChannel(channelConfig({ name: 'one', weight: 1 })), fakeChannel(channelConfig({ name: 'three', weight: 3 }))],
      seeded(20260101),
    );
    const runs = 10_000;
    let threeFirst = 0;
    for (let i = 0; i < runs; i++) {
      const order = names(router.route(request, 'text2video', 0).order);
      // Every routing lists both: weight orders, it never drops a channel.
      expect(order.slice().sort()).toEqual(['one', 'three']);
      if (order[0] === 'three') threeFirst++;
    }
    // Binomial sd at n = 10 000, p = 0.75: 0.43 %; 2 % is more than 4 sd.
    expect(Math.abs(threeFirst / runs - 0.75)).toBeLessThan(0.02);
  });

  it('shares equally between equal weights, and by weight among three channels', () => {
    const random = seeded(7);
    const pair = createChannelRouter([fakeChannel(channelConfig({ name: 'x' })), fakeChannel(channelConfig({ name: 'y' }))], random);
    const trio = createChannelRouter(
      [fakeChannel(channelConfig({ name: 'w1', weight: 1 })), fakeChannel(channelConfig({ name: 'w2', weight: 2 })), fakeChannel(channelConfig({ name: 'w5', weight: 5 }))],
      random,
    );
    const runs = 10_000;
    let xFirst = 0;
    const leads: Record<string, number> = { w1: 0, w2: 0, w5: 0 };
    for (let i = 0; i < runs; i++) {
      if (pair.route(request, 'text2video', 0).order[0]?.config.name === 'x') xFirst++;
      const lead = trio.route(request, 'text2video', 0).order[0]?.config.name ?? '';
      leads[lead] = (leads[lead] ?? 0) + 1;
    }
    expect(Math.abs(xFirst / runs - 0.5)).toBeLessThan(0.02);
    // Efraimidis-Spirakis: the first pick is proportional to weight (1/8, 2/8, 5/8).
    expect(Math.abs((leads.w1 ?? 0) / runs - 1 / 8)).toBeLessThan(0.02);
    expect(Math.abs((leads.w2 ?? 0) / runs - 2 / 8)).toBeLessThan(0.02);
    expect(Math.abs((leads.w5 ?? 0) / runs - 5 / 8)).toBeLessThan(0.02);
  });

  it('is deterministic for a given random source', () => {
    const build = () =>
      createChannelRouter(
        [fakeChannel(channelConfig({ name: 'a', weight: 2 })), fakeChannel(channelConfig({ name: 'b', weight: 3 })), fakeChannel(channelConfig({ name: 'c', weight: 1 }))],
        seeded(99),
      );
    const r1 = build();
    const r2 = build();
    for (let i = 0; i < 100; i++) expect(names(r1.route(request, 'text2video', 0).order)).toEqual(names(r2.route(request, 'text2video', 0).order));
  });
});

describe('createChannelRouter: models and requests a channel cannot take', () => {
  it('lists channels that cannot express the request in `unsupported`, with their reason, and leaves them out of the order', () => {
    const no4k = (r: VideoRequest) => (r.tier === '4k' ? 'no 4k tier' : null);
    const noImage = (_r: VideoRequest, kind: TaskKind) => (kind === 'image2video' ? 'no image-to-video' : null);
    const router = createChannelRouter(
      [
        fakeChannel(channelConfig({ name: 'full', priority: 0 })),
        fakeChannel(channelConfig({ name: 'no-4k', priority: 5 }), { unsupported: no4k }),
        fakeChannel(channelConfig({ name: 'no-i2v', priority: 3 }), { unsupported: noImage }),
      ],
      seeded(3),
    );
    const plain = router.route(request, 'text2video', 0);
    expect(names(plain.order)).toEqual(['no-4k', 'no-i2v', 'full']);
    expect(plain.unsupported).toEqual([]);

    const fourK = router.route(videoRequest({ tier: '4k' }), 'text2video', 0);
    expect(names(fourK.order)).toEqual(['no-i2v', 'full']);
    expect(fourK.unsupported).toEqual(['no-4k: no 4k tier']);

    const both = router.route(videoRequest({ tier: '4k' }), 'image2video', 0);
    expect(names(both.order)).toEqual(['full']);
    expect(both.unsupported).toEqual(['no-4k: no 4k tier', 'no-i2v: no image-to-video']);
  });

  it('asks only the channels that serve the model whether they can express the request', () => {
    const asked: string[] = [];
    const spy = (name: string) => () => {
      asked.push(name);
      return 'never';
    };
    const router = createChannelRouter(
      [
        fakeChannel(channelConfig({ name: 'v3' }), { models: { 'kling-v3': 'kling-v3' }, unsupported: spy('v3') }),
        fakeChannel(channelConfig({ name: 'turbo' }), { models: { 'kling-v3-turbo': 'kling-v3-turbo' }, unsupported: spy('turbo') }),
      ],
      seeded(4),
    );
    const routing = router.route(videoRequest({ model: 'kling-v3-turbo' }), 'text2video', 0);
    expect(asked).toEqual(['turbo']);
    expect(routing).toEqual({ order: [], coolingDown: [], unsupported: ['turbo: never'] });
  });

  it('serves() only the models some channel maps (own keys only), and routes an unserved model nowhere', () => {
    const router = createChannelRouter(
      [
        fakeChannel(channelConfig({ name: 'a' }), { models: { 'kling-v3': 'kling-v3-upstream' } }),
        fakeChannel(channelConfig({ name: 'b' }), { models: { 'kling-v3-turbo': 'turbo' } }),
      ],
      seeded(5),
    );
    expect(router.serves('kling-v3')).toBe(true);
    expect(router.serves('kling-v3-turbo')).toBe(true);
    expect(router.serves('kling-v2')).toBe(false);
    // Inherited object properties are not models.
    expect(router.serves('toString')).toBe(false);
    expect(router.serves('constructor')).toBe(false);
    expect(router.serves('__proto__')).toBe(false);
    expect(names(router.route(videoRequest({ model: 'kling-v3' }), 'text2video', 0).order)).toEqual(['a']);
    expect(router.route(videoRequest({ model: 'kling-v2' }), 'text2video', 0)).toEqual({ order: [], coolingDown: [], unsupported: [] });
    expect(createChannelRouter([]).serves('kling-v3')).toBe(false);
  });

  it('get() and all() expose the configured channels', () => {
    const a = fakeChannel(channelConfig({ name: 'a' }));
    const b = fakeChannel(channelConfig({ name: 'b' }));
    const router = createChannelRouter([a, b]);
    expect(router.get('a')).toBe(a);
    expect(router.get('b')).toBe(b);
    expect(router.get('c')).toBeUndefined();
    expect(router.all()).toEqual([a, b]);
  });
});

describe('createChannelRouter with configs from loadConfig', () => {
  const tmp = tempDir('reelay-router-');
  afterAll(() => tmp.remove());

  it('orders channels read from a config file by their priority and weight', () => {
    const file = path.join(tmp.dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        channels: [
          { name: 'backup', provider: 'newapi', base_url: 'https://reseller.example', api_key: 'k', priority: 0 },
          { name: 'main', provider: 'kling', access_key: 'ak', secret_key: 'sk', priority: 10, weight: 3 },
          { name: 'main-2', provider: 'kling', access_key: 'ak2', secret_key: 'sk2', priority: 10 },
        ],
      }),
    );
    const config = loadConfig({ REELAY_CONFIG: file });
    const router = createChannelRouter(
      config.channels.map((c) => fakeChannel(c)),
      seeded(11),
    );
    let mainFirst = 0;
    const runs = 4000;
    for (let i = 0; i < runs; i++) {
      const order = names(router.route(request, 'text2video', 0).order);
      expect(order[2]).toBe('backup');
      if (order[0] === 'main') mainFirst++;
    }
    expect(Math.abs(mainFirst / runs - 0.75)).toBeLessThan(0.03);
  });
});

describe('createChannelRouter: health', () => {
  const pair = () => createChannelRouter([fakeChannel(channelConfig({ name: 'first', priority: 1 })), fakeChannel(channelConfig({ name: 'second', priority: 0 }))], seeded(6));

  it('starts healthy with no history', () => {
    const router = pair();
    expect(router.health('first', 0)).toEqual({ healthy: true, unhealthyUntil: null, consecutiveFailures: 0, lastSuccessAt: null, recentErrors: [] });
  });

  it('cools a channel down for 30 s after a channel error: skipped (listed as cooling down) until the time passes', () => {
    const router = pair();
    const t0 = 1_000_000;
    router.recordError('first', err('channel', '1102', 'balance exhausted'), t0);
    expect(router.health('first', t0)).toMatchObject({ healthy: false, unhealthyUntil: t0 + 30_000, consecutiveFailures: 1 });

    const during = router.route(request, 'text2video', t0 + 29_999);
    expect(names(during.order)).toEqual(['second']);
    expect(names(during.coolingDown)).toEqual(['first']);

    // The cool-down ends exactly at unhealthyUntil.
    const after = router.route(request, 'text2video', t0 + 30_000);
    expect(names(after.order)).toEqual(['first', 'second']);
    expect(after.coolingDown).toEqual([]);
    expect(router.health('first', t0 + 30_000)).toMatchObject({ healthy: true, unhealthyUntil: null, consecutiveFailures: 1 });
  });

  it('doubles the cool-down for each repeated channel error, up to 10 minutes', () => {
    const router = pair();
    let now = 0;
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      router.recordError('first', err('channel', '1000'), now);
      const until = router.health('first', now).unhealthyUntil;
      expect(until).not.toBeNull();
      seen.push((until ?? 0) - now);
      now = until ?? now; // the next error comes as soon as the channel is tried again
    }
    expect(seen).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
    expect(router.health('first', now).consecutiveFailures).toBe(8);
  });

  it('clears the cool-down and the repeat count on a success, so the next error cools for 30 s again', () => {
    const router = pair();
    router.recordError('first', err('channel'), 0);
    router.recordError('first', err('channel'), 1);
    expect(router.health('first', 2)).toMatchObject({ healthy: false, unhealthyUntil: 1 + 60_000, consecutiveFailures: 2 });

    router.recordSuccess('first', 5);
    expect(router.health('first', 5)).toMatchObject({ healthy: true, unhealthyUntil: null, consecutiveFailures: 0, lastSuccessAt: 5 });
    expect(names(router.route(request, 'text2video', 5).order)).toEqual(['first', 'second']);
    // The errors stay in the history.
    expect(router.health('first', 5).recentErrors).toHaveLength(2);

    router.recordError('first', err('channel'), 10);
    expect(router.health('first', 10)).toMatchObject({ unhealthyUntil: 10 + 30_000, consecutiveFailures: 1, lastSuccessAt: 5 });
  });

  it('does not cool a channel down for throttled, ambiguous, rejected or not_found errors, but records them', () => {
    const router = pair();
    const classes: UpstreamErrorClass[] = ['throttled', 'ambiguous', 'rejected', 'not_found'];
    classes.forEach((c, i) => router.recordError('first', err(c, `code-${i}`), i));
    expect(router.health('first', 10)).toEqual({
      healthy: true,
      unhealthyUntil: null,
      consecutiveFailures: 0,
      lastSuccessAt: null,
      recentErrors: [
        { at: 3, errorClass: 'not_found', code: 'code-3', message: 'not_found code-3' },
        { at: 2, errorClass: 'rejected', code: 'code-2', message: 'rejected code-2' },
        { at: 1, errorClass: 'ambiguous', code: 'code-1', message: 'ambiguous code-1' },
        { at: 0, errorClass: 'throttled', code: 'code-0', message: 'throttled code-0' },
      ],
    });
    expect(names(router.route(request, 'text2video', 10).order)).toEqual(['first', 'second']);
  });

  it('keeps non-channel errors from resetting or extending a running cool-down', () => {
    const router = pair();
    router.recordError('first', err('channel'), 0);
    router.recordError('first', err('throttled'), 1000);
    router.recordError('first', err('ambiguous'), 2000);
    expect(router.health('first', 2000)).toMatchObject({ healthy: false, unhealthyUntil: 30_000, consecutiveFailures: 1 });
    // A second channel error after them still doubles.
    router.recordError('first', err('channel'), 3000);
    expect(router.health('first', 3000)).toMatchObject({ unhealthyUntil: 3000 + 60_000, consecutiveFailures: 2 });
  });

  it('keeps one channel’s health apart from another’s', () => {
    const router = pair();
    router.recordError('first', err('channel'), 0);
    expect(router.health('second', 0)).toMatchObject({ healthy: true, consecutiveFailures: 0, recentErrors: [] });
    router.recordError('second', err('channel'), 0);
    const routing = router.route(request, 'text2video', 1);
    expect(routing.order).toEqual([]);
    expect(names(routing.coolingDown)).toEqual(['first', 'second']);
  });

  it('does not list a channel that cannot express the request as cooling down', () => {
    const router = createChannelRouter(
      [fakeChannel(channelConfig({ name: 'picky' }), { unsupported: () => 'cannot' }), fakeChannel(channelConfig({ name: 'ok' }))],
      seeded(8),
    );
    router.recordError('picky', err('channel'), 0);
    router.recordError('ok', err('channel'), 0);
    const routing = router.route(request, 'text2video', 1);
    expect(routing.order).toEqual([]);
    expect(names(routing.coolingDown)).toEqual(['ok']);
    expect(routing.unsupported).toEqual(['picky: cannot']);
  });

  it('keeps the recent errors newest first and at most 20', () => {
    const router = pair();
    for (let i = 0; i < 45; i++) router.recordError('first', err(i % 2 === 0 ? 'ambiguous' : 'throttled', String(i)), 1000 + i);
    const recent = router.health('first', 2000).recentErrors;
    expect(recent).toHaveLength(20);
    expect(recent.map((e) => e.code)).toEqual(Array.from({ length: 20 }, (_, i) => String(44 - i)));
    expect(recent.map((e) => e.at)).toEqual(Array.from({ length: 20 }, (_, i) => 1044 - i));
  });

  it('hands out a copy of the recent errors', () => {
    const router = pair();
    router.recordError('first', err('throttled'), 0);
    router.health('first', 0).recentErrors.length = 0;
    expect(router.health('first', 0).recentErrors).toHaveLength(1);
  });

  it('throws for a channel it does not know', () => {
    const router = pair();
    expect(() => router.health('nope', 0)).toThrow(/unknown channel nope/);
    expect(() => router.recordError('nope', err('channel'), 0)).toThrow(/unknown channel nope/);
    expect(() => router.recordSuccess('nope', 0)).toThrow(/unknown channel nope/);
  });
});
