/**
 * Channel health and pacing shared through the store (issue 7), on SQLite and PostgreSQL (there
 * with two separate connections standing in for two instances): concurrent health changes all count
 * (none lost to a read-modify-write race), a reconfigured channel starts its cool-down afresh,
 * and send slots booked from both connections at once never come closer than the channel's gap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createChannelStates, type ChannelHealthRecord } from '../../src/store/channel-states.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrations.ts';
import { createPgSchema, postgresUrl } from '../support/databases.ts';
import { tempDir } from '../support/temp-dir.ts';

/** Two connections to one fresh database (SQLite serves one process, which has one connection: both are it). */
type Pair = { a: Db; b: Db; close(): Promise<void> };
const targets: Array<{ name: 'sqlite' | 'postgres'; open(): Promise<Pair> }> = [
  {
    name: 'sqlite',
    async open() {
      const tmp = tempDir();
      const a = openDatabase({ url: null, dataDir: tmp.dir });
      await migrateToLatest(a);
      return { a, b: a, close: async () => { await a.close(); tmp.remove(); } };
    },
  },
  ...(postgresUrl !== undefined
    ? [
        {
          name: 'postgres' as const,
          async open() {
            const url = postgresUrl as string;
            const { schema } = await createPgSchema(url);
            const a = openDatabase({ url, dataDir: '', pgSchema: schema });
            await migrateToLatest(a);
            const b = openDatabase({ url, dataDir: '', pgSchema: schema });
            return { a, b, close: async () => { await a.close(); await b.close(); } };
          },
        },
      ]
    : []),
];

const coolingAfterOne = (r: ChannelHealthRecord): ChannelHealthRecord => ({
  ...r,
  consecutiveFailures: r.consecutiveFailures + 1,
  unhealthyUntil: 1_000 + r.consecutiveFailures,
  recentErrors: [{ at: r.consecutiveFailures, errorClass: 'channel', code: '1102', message: 'balance' }, ...r.recentErrors].slice(0, 50),
});

describe.each(targets)('channel states on $name', (target) => {
  let pair: Pair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('starts a registered channel healthy and empty, and reads back what a change stored', async () => {
    pair = await target.open();
    const states = createChannelStates(pair.a.kysely, pair.a.kind);
    await states.register([{ name: 'sim', fingerprint: 'f1' }]);
    expect(await states.load()).toEqual(new Map([['sim', { unhealthyUntil: null, consecutiveFailures: 0, lastSuccessAt: null, recentErrors: [] }]]));
    const stored = await states.change('sim', coolingAfterOne);
    expect(stored).toMatchObject({ consecutiveFailures: 1, unhealthyUntil: 1000 });
    // The other connection sees it.
    expect((await createChannelStates(pair.b.kysely, pair.b.kind).load(['sim'])).get('sim')).toEqual(stored);
    // A channel nobody registered gets a row on its first change.
    expect(await states.change('late', coolingAfterOne)).toMatchObject({ consecutiveFailures: 1 });
    expect([...(await states.load()).keys()].sort()).toEqual(['late', 'sim']);
    expect(await states.load([])).toEqual(new Map());
  });

  it('counts every change made from two connections at once (the row lock serializes them)', async () => {
    pair = await target.open();
    const a = createChannelStates(pair.a.kysely, pair.a.kind);
    const b = createChannelStates(pair.b.kysely, pair.b.kind);
    await a.register([{ name: 'sim', fingerprint: 'f1' }]);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).change('sim', coolingAfterOne)));
    const r = (await a.load(['sim'])).get('sim');
    expect(r?.consecutiveFailures).toBe(40);
    expect(r?.recentErrors.map((e) => e.at)).toEqual(Array.from({ length: 40 }, (_, i) => 39 - i));
  });

  it("clears a channel's cool-down when it is registered with other credentials, and keeps it for the same ones", async () => {
    pair = await target.open();
    const states = createChannelStates(pair.a.kysely, pair.a.kind);
    await states.register([{ name: 'sim', fingerprint: 'f1' }]);
    await states.change('sim', (r) => ({ ...coolingAfterOne(r), lastSuccessAt: 5 }));
    await states.register([{ name: 'sim', fingerprint: 'f1' }]);
    expect((await states.load()).get('sim')).toMatchObject({ consecutiveFailures: 1, unhealthyUntil: 1000 });
    await states.register([{ name: 'sim', fingerprint: 'f2' }]);
    const after = (await states.load()).get('sim');
    expect(after).toMatchObject({ consecutiveFailures: 0, unhealthyUntil: null, lastSuccessAt: 5 });
    expect(after?.recentErrors).toHaveLength(1);
  });

  it('books send slots from two connections at once no closer together than the gap', async () => {
    pair = await target.open();
    const a = createChannelStates(pair.a.kysely, pair.a.kind);
    const b = createChannelStates(pair.b.kysely, pair.b.kind);
    await a.register([{ name: 'sim', fingerprint: 'f' }]);
    const gap = 100;
    const before = Date.now();
    const booked = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).nextRequestSlot('sim', gap)));
    const slots = booked.map((x) => x.at).sort((x, y) => x - y);
    // One after another, never closer than `gap` (exactly `gap` when the calls come faster than
    // the slots; a call that comes later than the next free slot takes its own time instead).
    const gaps = slots.slice(1).map((x, i) => x - (slots[i] as number));
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(gap);
    expect(gaps.filter((g) => g === gap).length).toBeGreaterThan(10);
    expect(Math.abs((slots[0] as number) - before)).toBeLessThan(2000);
    // Each wait is its slot's distance from the moment it was booked: the later the slot, the longer.
    const byAt = [...booked].sort((x, y) => x.at - y.at);
    expect(byAt.at(-1)?.waitMs).toBeGreaterThan(19 * gap - 1000);
    for (const x of booked) expect(x.waitMs).toBeGreaterThanOrEqual(0);
    // Nothing booked since: the next slot is a gap past the last, and a fractional gap rounds up.
    expect((await a.nextRequestSlot('sim', 99.2)).at).toBe((slots.at(-1) as number) + gap);
    // A channel with no row yet gets one, and a slot at once.
    expect((await a.nextRequestSlot('new', gap)).waitMs).toBe(0);
  });
});
