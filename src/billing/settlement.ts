/**
 * The end of a task's hold, in the same transaction as the status change that ended the task: a
 * transition that lost its compare-and-swap never gets here, and a crash before the commit undoes
 * both, so a task is settled exactly once (the ledger's unique (task, entry) index refuses a
 * second settlement even from a bug).
 *
 * - completed: capture the price of the seconds delivered (ffprobe on the stored file, rounded to
 *   whole seconds, at most the seconds requested); release the rest.
 * - canceled: release all, unless the upstream had finished the discarded render (the cancel came
 *   too late; it charged, whether or not it reported units): then capture all. [I] The client
 *   asked for the render and it was made.
 * - failed: release all (Kling does not charge failed tasks; new-api's users' top complaint is
 *   being charged for them).
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { isTerminal, type Task } from '../domain/task.ts';
import type { Database, TasksTable } from '../store/schema.ts';
import type { TaskOutbox } from '../store/task-outbox.ts';
import { rowToTask } from '../store/task-rows.ts';
import { writeLedger } from './ledger-entries.ts';

export type Settlement = { capturedMicros: number; releasedMicros: number; billedSeconds: number | null };

/** What a task that just ended owes, from its hold and how it ended. */
export function settlementOf(task: Pick<Task, 'status' | 'request' | 'result'>, holdMicros: number, upstreamCharged: boolean): Settlement {
  const requested = task.request.duration;
  if (task.status === 'completed') {
    const delivered = Math.max(0, ...(task.result?.videos.map((v) => v.duration) ?? [requested]));
    const billedSeconds = Math.min(requested, Math.round(delivered));
    // The hold is an exact whole number of micro-credits per second, so this division is exact.
    const capturedMicros = Math.round((holdMicros * billedSeconds) / requested);
    return { capturedMicros, releasedMicros: holdMicros - capturedMicros, billedSeconds };
  }
  if (task.status === 'canceled' && upstreamCharged) {
    return { capturedMicros: holdMicros, releasedMicros: 0, billedSeconds: requested };
  }
  return { capturedMicros: 0, releasedMicros: holdMicros, billedSeconds: null };
}

/** Settles `row` (a task row just changed by the caller's transaction) when it ended; returns the row as it now is. */
export async function settleTask(trx: Kysely<Database>, row: Selectable<TasksTable>): Promise<Selectable<TasksTable>> {
  if (row.hold_micros === null || row.charged_micros !== null) return row;
  const task = rowToTask(row);
  if (!isTerminal(task.status)) return row;
  const s = settlementOf(task, row.hold_micros, row.upstream_charged === 1 || (row.units_charged ?? 0) > 0);
  const entry = { key_id: row.key_id, task_id: row.id, model: row.model, tier: task.request.tier, outcome: task.status, created_at: row.updated_at };
  // Rows of 0 say nothing, except that the task ended: a task always gets at least one, so a
  // free model's outcomes still count in usage reports.
  const capture = s.capturedMicros > 0 || task.status === 'completed';
  const release = s.releasedMicros > 0 || !capture;
  await writeLedger(trx, [
    ...(capture ? [{ ...entry, entry: 'capture' as const, micros: s.capturedMicros }] : []),
    ...(release ? [{ ...entry, entry: 'release' as const, micros: s.releasedMicros }] : []),
  ]);
  await trx
    .updateTable('api_keys')
    .set({ held_micros: sql`held_micros - ${row.hold_micros}`, spent_micros: sql`spent_micros + ${s.capturedMicros}`, active_tasks: sql`active_tasks - 1` })
    .where('id', '=', row.key_id)
    .execute();
  return trx
    .updateTable('tasks')
    .set({ charged_micros: s.capturedMicros, released_micros: s.releasedMicros, billed_seconds: s.billedSeconds })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Hangs settlement on every status change that goes through the outbox (all of them: see
 * changeStatus in src/store/task-outbox.ts), before the delivery is rendered, so a client's
 * callback already shows what it was charged.
 */
export function settlingOutbox(outbox: TaskOutbox | undefined): TaskOutbox {
  return {
    async enqueue(trx, row) {
      const settled = await settleTask(trx, row);
      if (outbox) await outbox.enqueue(trx, settled);
    },
    committed: () => outbox?.committed(),
  };
}
