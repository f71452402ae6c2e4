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
  /** When the client asked to cancel a task that was already running (discarded on completion). */
  cancel_requested_at: number | null;
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
};

export type Database = {
  tasks: TasksTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  deliveries: DeliveriesTable;
};
