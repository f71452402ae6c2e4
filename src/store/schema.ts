/** Kysely table types: one interface for SQLite and PostgreSQL. Times are epoch milliseconds. */
import type { Generated } from 'kysely';


export type TasksTable = {
  id: string;
  public_id: string;
  key_id: string;
  dialect: string;
  kind: string;
  model: string;
  /** JSON of the VideoRequest. */
  request: string;
  status: string;
  progress: number;
  provider: string;
  upstream_id: string | null;
  external_task_id: string | null;
  attempts: number;
  /** When a worker should next look at the task; null once it is terminal. */
  due_at: number | null;
  /** The lease holder's token; guards every worker write against a lease lost meanwhile. */
  lease_token: string | null;
  /** JSON of the TaskResult. */
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  units_charged: number | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** When a submit to the channel in `provider` began; null before, and for local tasks. */
  submit_started_at: number | null;
  /** Status checks made upstream so far (the poll interval grows with it). */
  checks: Generated<number>;
  /** Failed attempts at copying an upstream's finished video into storage. */
  mirror_failures: Generated<number>;
  /** Upstream callbacks received for the task (each a hint to check now). */
  nudges: Generated<number>;
  /**
   * The last upstream callback's body (at most 64 KiB), until the check it prompted has read it:
   * an upstream whose callbacks carry the result spares that check its status query.
   */
  callback_body: string | null;
  /** When the client asked to cancel a task that was already running (discarded on completion). */
  cancel_requested_at: number | null;
  /** Micro-credits held at create; null for tasks made before billing (never settled). */
  hold_micros: number | null;
  /** Set at settlement: micro-credits captured and released (they sum to the hold). */
  charged_micros: number | null;
  released_micros: number | null;
  /** Whole seconds billed at completion (the delivered duration, at most the requested one). */
  billed_seconds: number | null;
  /** 1 when the task was canceled after its upstream finished the render (which the upstream charged). */
  upstream_charged: number | null;
};

export type IdempotencyKeysTable = {
  key_id: string;
  idempotency_key: string;
  /** The create route the key was first used on. */
  route: string;
  /** sha256 of the request body, hex: the same key with another body is a conflict. */
  body_hash: string;
  /** Internal id of the task the first request created. */
  task_id: string;
  status_code: number;
  created_at: number;
  expires_at: number;
};

export type DeliveriesTable = {
  id: string;
  task_id: string;
  key_id: string;
  url: string;
  /** What happened: the task's new status (e.g. `completed`). */
  event: string;
  /** The exact JSON sent (signed as is, identical across retries). */
  body: string;
  /** pending | delivered | failed */
  status: string;
  attempts: Generated<number>;
  /** When the next attempt is due (a lease while one is in flight); null once delivered or given up. */
  due_at: number | null;
  lease_token: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
};

export type ApiKeysTable = {
  id: string;
  name: string;
  /** sha256 of the bearer key, hex. */
  key_hash: string;
  /** First characters of the key, to tell keys apart in lists without revealing them. */
  key_prefix: string;
  access_key: string;
  /** AES-256-GCM ciphertext of the secret key (needed in clear to verify HS256 JWTs). */
  secret_enc: string;
  created_at: number;
  revoked_at: number | null;
  /** AES-256-GCM ciphertext of the key's `whsec_` webhook signing secret. */
  webhook_secret_enc: string | null;
  /** Where deliveries go when a task gives no callback URL. */
  webhook_url: string | null;
  /** Limits; null = unlimited. `models` is a JSON array of model names. */
  budget_micros: number | null;
  rpm: number | null;
  max_concurrency: number | null;
  models: string | null;
  expires_at: number | null;
  /** Open holds, captured spend, tasks in flight: kept with the ledger in the same transactions. */
  held_micros: Generated<number>;
  spent_micros: Generated<number>;
  active_tasks: Generated<number>;
  /** The requests-per-minute bucket: tokens left at `rate_at`; null = full. */
  rate_tokens: number | null;
  rate_at: number | null;
};

/** Every movement of money: one hold per task at create, then a capture and/or a release at its end. */
export type LedgerTable = {
  id: string;
  key_id: string;
  task_id: string;
  entry: 'hold' | 'capture' | 'release';
  micros: number;
  model: string;
  tier: string;
  /** The task's terminal status, on captures and releases. */
  outcome: string | null;
  created_at: number;
};

/** Per upstream channel, shared by every instance (store/channel-states.ts). */
export type ChannelStateTable = {
  name: string;
  /** A hash of the channel's address and credentials: a change resets its cool-down. */
  fingerprint: string;
  /** The next free send slot (ms epoch; on PostgreSQL by the database's clock). */
  next_request_at: number;
  unhealthy_until: number | null;
  consecutive_failures: number;
  last_success_at: number | null;
  /** JSON: the recent errors, newest first. */
  recent_errors: string;
};

export type Database = {
  tasks: TasksTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  deliveries: DeliveriesTable;
  ledger: LedgerTable;
  channel_state: ChannelStateTable;
};
