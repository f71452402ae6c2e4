/**
 * For the chaos suite (test/chaos/): checks of the money and the notifications that hold after any
 * run, however it was interrupted, read straight from the database.
 *
 * - auditLedger: every task has exactly one hold (its price), at most one capture and one
 *   release; a capture only for a completed task (the delivered seconds) or a canceled one whose
 *   upstream had charged (the whole hold); a failed task's hold released in full; every key
 *   balances (expectBalanced).
 * - auditDeliveries: every delivery the outbox queued was delivered, and the receiver heard every
 *   task's terminal event; a body heard twice is one delivery sent again (same webhook-id), by a
 *   sender that died before it could record the first attempt.
 */
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../src/store/schema.ts';
import { expectBalanced } from './billing.ts';
import type { Received } from './webhook-receiver.ts';

export type LedgerAudit = {
  tasks: number;
  heldMicros: number;
  capturedMicros: number;
  releasedMicros: number;
  /** Failed or canceled tasks whose whole hold went back. */
  refundedTasks: number;
  /** Canceled tasks captured because the upstream had already charged for the render. */
  chargedCancels: number;
};

/** `priceOf(task)` is what a task's hold must be, in micro-credits (from its model, tier and duration). */
export async function auditLedger(db: Kysely<Database>, keyIds: readonly string[], priceOf: (t: { model: string; request: string }) => number): Promise<LedgerAudit> {
  const tasks = await db.selectFrom('tasks').select(['id', 'key_id', 'model', 'request', 'status', 'hold_micros', 'charged_micros', 'released_micros', 'billed_seconds', 'upstream_charged', 'units_charged', 'result']).execute();
  const ledger = await db.selectFrom('ledger').select(['task_id', 'entry', 'micros', 'outcome']).execute();
  const byTask = new Map<string, typeof ledger>();
  for (const e of ledger) byTask.set(e.task_id, [...(byTask.get(e.task_id) ?? []), e]);
  const audit: LedgerAudit = { tasks: tasks.length, heldMicros: 0, capturedMicros: 0, releasedMicros: 0, refundedTasks: 0, chargedCancels: 0 };
  for (const t of tasks) {
    const mine = byTask.get(t.id) ?? [];
    const of = (entry: string) => mine.filter((e) => e.entry === entry);
    const where = `task ${t.id} (${t.status}): ${JSON.stringify(mine)}`;
    expect(of('hold').map((e) => e.micros), where).toEqual([priceOf(t)]);
    expect(t.hold_micros, where).toBe(priceOf(t));
    expect(of('capture').length, where).toBeLessThanOrEqual(1);
    expect(of('release').length, where).toBeLessThanOrEqual(1);
    const captured = of('capture')[0]?.micros ?? 0;
    const released = of('release')[0]?.micros ?? 0;
    expect(captured + released, where).toBe(t.hold_micros);
    for (const e of [...of('capture'), ...of('release')]) expect(e.outcome, where).toBe(t.status);
    const requested = (JSON.parse(t.request) as { duration: number }).duration;
    if (t.status === 'completed') {
      // The seconds delivered (ffprobe of the stored file, rounded, at most those asked for).
      const delivered = Math.max(...((JSON.parse(t.result ?? '{"videos":[]}') as { videos: Array<{ duration: number }> }).videos.map((v) => v.duration)));
      const billed = Math.min(requested, Math.round(delivered));
      expect(t.billed_seconds, where).toBe(billed);
      expect(captured, where).toBe(Math.round(((t.hold_micros ?? 0) * billed) / requested));
    } else if (t.status === 'canceled' && (t.upstream_charged === 1 || (t.units_charged ?? 0) > 0)) {
      expect(captured, where).toBe(t.hold_micros);
      audit.chargedCancels++;
    } else {
      // Failed, or canceled before anything was charged: not a micro-credit kept.
      expect(t.status === 'failed' || t.status === 'canceled', where).toBe(true);
      expect([captured, released], where).toEqual([0, t.hold_micros]);
      audit.refundedTasks++;
    }
    expect([t.charged_micros, t.released_micros], where).toEqual([captured, released]);
    audit.heldMicros += t.hold_micros ?? 0;
    audit.capturedMicros += captured;
    audit.releasedMicros += released;
  }
  // No ledger row for a task that does not exist.
  const known = new Set(tasks.map((t) => t.id));
  expect([...byTask.keys()].filter((id) => !known.has(id))).toEqual([]);
  for (const keyId of keyIds) {
    const money = await expectBalanced(db, keyId);
    expect(money.activeTasks).toBe(0);
    expect(money.heldMicros).toBe(0);
  }
  return audit;
}

export type DeliveryAudit = { deliveries: number; heard: number; resent: number };

/**
 * Every delivery row delivered; every task's terminal event heard (Kling dialects: `succeed` or
 * `failed`, a canceled task reads `failed`); each body heard matches a delivery row (by
 * webhook-id), and one heard twice was attempted more than once.
 */
export async function auditDeliveries(db: Kysely<Database>, received: readonly Received[], publicIds: readonly string[]): Promise<DeliveryAudit> {
  const rows = await db.selectFrom('deliveries').select(['id', 'task_id', 'event', 'status', 'attempts', 'last_error']).execute();
  const notDelivered = rows.filter((r) => r.status !== 'delivered');
  expect(notDelivered, 'deliveries not delivered').toEqual([]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const timesHeard = new Map<string, number>();
  const terminalHeard = new Set<string>();
  for (const req of received) {
    const id = req.headers['webhook-id'] ?? '';
    expect(byId.has(id), `a webhook with an unknown webhook-id ${id}`).toBe(true);
    timesHeard.set(id, (timesHeard.get(id) ?? 0) + 1);
    const body = JSON.parse(req.body) as { task_id: string; task_status: string };
    if (body.task_status === 'succeed' || body.task_status === 'failed') terminalHeard.add(body.task_id);
  }
  // Every delivery was heard at least once (delivered means a 2xx came back from the receiver).
  expect(rows.filter((r) => !timesHeard.has(r.id)).map((r) => r.id), 'deliveries never heard').toEqual([]);
  const resent = [...timesHeard.entries()].filter(([, n]) => n > 1);
  for (const [id] of resent) expect(byId.get(id)?.attempts ?? 0, `delivery ${id} heard twice`).toBeGreaterThanOrEqual(2);
  expect(publicIds.filter((id) => !terminalHeard.has(id)), 'tasks whose end the receiver never heard').toEqual([]);
  // Each task's terminal status queued exactly one delivery.
  const terminalRows = new Map<string, number>();
  for (const r of rows) if (['completed', 'failed', 'canceled'].includes(r.event)) terminalRows.set(r.task_id, (terminalRows.get(r.task_id) ?? 0) + 1);
  expect([...terminalRows.values()].every((n) => n === 1), 'one terminal delivery per task').toBe(true);
  expect(terminalRows.size).toBe(publicIds.length);
  return { deliveries: rows.length, heard: received.length, resent: resent.length };
}

/**
 * POSTs a create with an Idempotency-Key, retrying (same key) when the connection fails before an
 * answer or Node's HTTP server answers 408 (its request timeout; the request never reached
 * Reelay), as a careful client does; `retries` counts those. Both were seen on long runs of
 * creates over kept-alive connections on a loaded machine (reported with this suite).
 */
export async function postCreate(url: string, key: string, body: object, idempotencyKey: string, counters: { retries: number }): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
      });
    } catch (e) {
      if (attempt >= 3) throw e;
      counters.retries++;
      continue;
    }
    if (res.status !== 408 || attempt >= 3) return res;
    await res.text();
    counters.retries++;
  }
}
