/**
 * Persist first: the task row, its idempotency record and its billing hold (with the key's limits
 * checked) are committed in one transaction before anyone is told about it, then workers wake.
 */
import { admitTask } from '../billing/admission.ts';
import { quote, type PriceTable, type Quote } from '../billing/price-table.ts';
import { AppError } from '../domain/errors.ts';
import { internalId } from '../domain/ids.ts';
import type { Task, TaskKind } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';
import { IdempotencyKeyTaken, type IdempotencyKeys, type IdempotencyRecord } from '../store/idempotency-keys.ts';
import type { TaskRepository } from '../store/task-repository.ts';
import type { Wakeup } from './wakeup.ts';

/** How long an Idempotency-Key answers with its task; an older record is replaced by the next create. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** The status every dialect answers a create with (Novita: exactly 200); a replay answers the recorded one. */
const CREATED_STATUS = 200;
/** A lost race reads the winner's record; a second loss in a row means records vanish under us. */
const MAX_CLAIMS = 3;

/** The request's Idempotency-Key, where it was sent, and sha256 (hex) of its raw body bytes. */
export type TaskIdempotency = { key: string; route: string; bodyHash: string };

export type CreateTaskInput = {
  keyId: string;
  dialect: string;
  kind: TaskKind;
  publicId: string;
  request: VideoRequest;
  /** Absent: every call creates a task. */
  idempotency?: TaskIdempotency | undefined;
};

/** The task, whether it was made by an earlier request with the same Idempotency-Key, and the status to answer. */
export type CreatedTask = { task: Task; replayed: boolean; statusCode: number };

export type TaskCreator = (input: CreateTaskInput) => Promise<CreatedTask>;

/** `providerFor` picks the upstream for a model (every model: `preview` until routing exists). */
export function createTaskCreator(deps: {
  tasks: TaskRepository;
  idempotencyKeys: IdempotencyKeys;
  wakeup: Wakeup;
  providerFor: (model: string) => string;
  prices: PriceTable;
  now: () => number;
}): TaskCreator {
  return async ({ idempotency, ...input }) => {
    const now = deps.now();
    // Priced only when a task is to be made: a replay answers what was made, whatever the prices now.
    const fresh = () => {
      const price = priceOf(deps.prices, input.request);
      const task = { ...input, id: internalId(now), provider: deps.providerFor(input.request.model), now, holdMicros: price.holdMicros };
      const admit = (trx: Parameters<typeof admitTask>[0]) => admitTask(trx, { keyId: input.keyId, taskId: task.id, quote: price, now });
      return { task, admit };
    };
    if (!idempotency) {
      const { task, admit } = fresh();
      return created(await deps.tasks.insert(task, undefined, admit));
    }

    for (let claim = 1; ; claim++) {
      // The read first: a retry (the common case for a known key) needs no write transaction.
      const earlier = await deps.idempotencyKeys.find(input.keyId, idempotency.key);
      if (earlier && earlier.expiresAt > now) return replay(earlier, idempotency);
      try {
        const expiresAt = now + IDEMPOTENCY_TTL_MS;
        const { task, admit } = fresh();
        return created(await deps.tasks.insert(task, { ...idempotency, statusCode: CREATED_STATUS, expiresAt }, admit));
      } catch (e) {
        // Another request with this key committed first: the next read finds its record.
        if (!(e instanceof IdempotencyKeyTaken) || claim >= MAX_CLAIMS) throw e;
      }
    }
  };

  function created(task: Task): CreatedTask {
    deps.wakeup.notify();
    return { task, replayed: false, statusCode: CREATED_STATUS };
  }

  async function replay(earlier: IdempotencyRecord, asked: TaskIdempotency): Promise<CreatedTask> {
    const shown = JSON.stringify(asked.key.length > 64 ? `${asked.key.slice(0, 64)}…` : asked.key);
    const rule = 'within 24 hours a key answers only the same body sent to the same create route; send a new Idempotency-Key for a new request';
    if (earlier.route !== asked.route) {
      throw conflict(`Idempotency-Key ${shown} was first used on POST ${earlier.route}, not on POST ${asked.route}: ${rule}`);
    }
    if (earlier.bodyHash !== asked.bodyHash) {
      throw conflict(`Idempotency-Key ${shown} was first used with a different request body: ${rule}`);
    }
    const task = await deps.tasks.get(earlier.taskId);
    // A deleted task (OpenAI DELETE /v1/videos/{id}) cannot be answered again, and a second task
    // under the same key would break "one key, one task".
    if (!task) throw conflict(`the task Idempotency-Key ${shown} created has been deleted; send a new Idempotency-Key to create another`);
    return { task, replayed: true, statusCode: earlier.statusCode };
  }
}

/** The request's price; a tier the price table does not sell for the model is refused. */
export function priceOf(prices: PriceTable, request: VideoRequest): Quote {
  const price = quote(prices, request);
  if (!price) {
    throw new AppError('invalid_parameter', `mode ${request.tier} is not available for model ${request.model} (it has no price)`, { field: 'mode' });
  }
  return price;
}

function conflict(message: string): AppError {
  return new AppError('idempotency_conflict', message, { field: 'Idempotency-Key' });
}
