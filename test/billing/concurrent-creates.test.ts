/**
 * 100 creates at once against small limits, on SQLite and on PostgreSQL: the checks and the hold
 * are one conditional UPDATE of the key's row, so no interleaving lets a key past its budget, its
 * tasks in flight or its requests per minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/databases.ts';
import { startPostgresTestServer, startTestServer, type CreatedKey, type TestServer } from '../support/server.ts';
import { expectBalanced } from '../support/billing.ts';

const FIVE_SECONDS_STD = { model_name: 'kling-v3', prompt: 'a lighthouse at night', duration: '5', mode: 'std' };
const CREDIT = 1_000_000;
const backends = [
  { name: 'sqlite', start: () => startTestServer({ configFile: { worker: { concurrency: 1 } } }) },
  ...(postgresUrl ? [{ name: 'postgres', start: () => startPostgresTestServer(postgresUrl as string) }] : []),
];

describe.each(backends)('100 concurrent creates on $name', ({ start }) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => server?.stop());

  const keyWith = async (limits: object): Promise<CreatedKey> => {
    const res = await server.api('/admin/keys', { method: 'POST', json: { name: 'burst', ...limits } });
    expect(res.status).toBe(201);
    return (await res.json()) as CreatedKey;
  };
  /** Fires 100 creates at once; the statuses and Kling codes of the answers. */
  const burst = async (key: string) => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const res = await server.api('/v1/videos/text2video', { method: 'POST', key, json: FIVE_SECONDS_STD });
        return { status: res.status, code: ((await res.json()) as { code: number }).code };
      }),
    );
    const count = (code: number) => answers.filter((a) => a.code === code).length;
    return { accepted: count(0), answers, count };
  };

  it('never overspends a small budget: 10 credits buy three 3-credit tasks, and 97 are refused with 1102', async () => {
    const key = await keyWith({ budget_credits: 10 });
    const { accepted, count, answers } = await burst(key.key);
    expect(accepted).toBe(3);
    expect(count(1102)).toBe(97);
    expect(answers.every((a) => (a.code === 0 ? a.status === 200 : a.status === 429))).toBe(true);
    const money = await expectBalanced(server.db.kysely, key.id);
    expect(money.holds).toBe(3);
    expect(money.heldMicros + money.spentMicros).toBeLessThanOrEqual(10 * CREDIT);
  });

  it('admits exactly max_concurrency tasks in flight (1303 for the rest) and exactly rpm creates a minute (1302)', async () => {
    await server.worker.stop();
    const capped = await keyWith({ max_concurrency: 5 });
    const c = await burst(capped.key);
    expect([c.accepted, c.count(1303)]).toEqual([5, 95]);
    const limited = await keyWith({ rpm: 10 });
    const r = await burst(limited.key);
    expect([r.accepted, r.count(1302)]).toEqual([10, 90]);
    for (const key of [capped, limited]) expect((await expectBalanced(server.db.kysely, key.id)).activeTasks).toBe(key === capped ? 5 : 10);
  });
});
