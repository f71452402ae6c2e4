/**
 * Numbered migrations, embedded in code so a built dist/ never reads files beside itself.
 * Kysely's Migrator runs them under a lock (on PostgreSQL a session advisory lock,
 * `pg_advisory_lock`; SQLite has one writer), so several instances may start at once: one
 * migrates, the others wait and find nothing left to do (test/store/concurrent-migrations.test.ts).
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Db } from './database.ts';

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('tasks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('dialect', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('upstream_id', 'text')
      .addColumn('external_task_id', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('due_at', 'bigint')
      .addColumn('lease_token', 'text')
      .addColumn('result', 'text')
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('units_charged', 'double precision')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .addCheckConstraint('tasks_status_check', sql`status in ('queued', 'running', 'completed', 'failed', 'canceled')`)
      .execute();
    // Only active tasks are in this index, so the claim query never reads finished ones.
    await db.schema.createIndex('tasks_due').on('tasks').column('due_at').where(sql.ref('due_at'), 'is not', null).execute();
    await db.schema
      .createIndex('tasks_external_id')
      .on('tasks')
      .columns(['key_id', 'external_task_id'])
      .unique()
      .where(sql.ref('external_task_id'), 'is not', null)
      .execute();
    await db.schema.createIndex('tasks_owner_list').on('tasks').columns(['key_id', 'kind', 'created_at']).execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('key_prefix', 'text', (c) => c.notNull())
      .addColumn('access_key', 'text', (c) => c.notNull().unique())
      .addColumn('secret_enc', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
  },
};

/** Remote upstreams (issue 4): the submit marker, the poll count, callback nudges. */
const upstreams: Migration = {
  async up(db: Kysely<unknown>) {
    // Set (with `provider` = the channel) before a submit is sent: after a crash or an ambiguous
    // answer it says "look this task up there before submitting again".
    await db.schema.alterTable('tasks').addColumn('submit_started_at', 'bigint').execute();
    await db.schema.alterTable('tasks').addColumn('checks', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('tasks').addColumn('mirror_failures', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // Counts upstream callbacks. One that arrives while the task is leased raises it above the
    // value the worker read at claim time, so the hand-back makes the task due at once. A counter,
    // not a time: instances' clocks need not agree.
    await db.schema.alterTable('tasks').addColumn('nudges', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // In-flight per channel (max_concurrency) counts active tasks by provider without reading finished ones.
    await db.schema.createIndex('tasks_active_provider').on('tasks').column('provider').where(sql.ref('due_at'), 'is not', null).execute();
  },
};

/** Telling clients (issue 5): idempotency records, the delivery outbox, per-key webhooks, cancel. */
const notifications: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('body_hash', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['key_id', 'idempotency_key'])
      .execute();
    await db.schema
      .createTable('deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('due_at', 'bigint')
      .addColumn('lease_token', 'text')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .execute();
    // Only pending deliveries are in this index: the sender never reads delivered or dead ones.
    await db.schema.createIndex('deliveries_due').on('deliveries').column('due_at').where(sql.ref('due_at'), 'is not', null).execute();
    await db.schema.createIndex('deliveries_task').on('deliveries').columns(['task_id', 'created_at']).execute();
    await db.schema.alterTable('api_keys').addColumn('webhook_secret_enc', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('webhook_url', 'text').execute();
    await db.schema.alterTable('tasks').addColumn('cancel_requested_at', 'bigint').execute();
  },
};

/** Keys, budgets, holds and the ledger (issue 6). Money columns are micro-credits (src/billing/credits.ts). */
const billing: Migration = {
  async up(db: Kysely<unknown>) {
    const keys = (name: string, type: 'bigint' | 'integer' | 'text' | 'double precision', notNullZero = false) =>
      db.schema.alterTable('api_keys').addColumn(name, type, (c) => (notNullZero ? c.notNull().defaultTo(0) : c)).execute();
    // Limits: null = unlimited.
    await keys('budget_micros', 'bigint');
    await keys('rpm', 'integer');
    await keys('max_concurrency', 'integer');
    await keys('models', 'text');
    await keys('expires_at', 'bigint');
    // Running totals, changed in the same transactions as the ledger rows they sum, so a
    // limit check is one conditional UPDATE of one row: atomic on SQLite and on PostgreSQL.
    await keys('held_micros', 'bigint', true);
    await keys('spent_micros', 'bigint', true);
    await keys('active_tasks', 'integer', true);
    // The requests-per-minute token bucket: tokens left at `rate_at` (null = a full bucket).
    await keys('rate_tokens', 'double precision');
    await keys('rate_at', 'bigint');

    // Null for tasks made before billing existed: they are never settled.
    await db.schema.alterTable('tasks').addColumn('hold_micros', 'bigint').execute();
    await db.schema.alterTable('tasks').addColumn('charged_micros', 'bigint').execute();
    await db.schema.alterTable('tasks').addColumn('released_micros', 'bigint').execute();
    await db.schema.alterTable('tasks').addColumn('billed_seconds', 'integer').execute();
    // 1 when a cancel discarded a render the upstream had finished (and so charged), whether or
    // not it reported units: most resellers report none.
    await db.schema.alterTable('tasks').addColumn('upstream_charged', 'integer').execute();

    await db.schema
      .createTable('ledger')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('entry', 'text', (c) => c.notNull())
      .addColumn('micros', 'bigint', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('tier', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addCheckConstraint('ledger_entry_check', sql`entry in ('hold', 'capture', 'release')`)
      .addCheckConstraint('ledger_micros_check', sql`micros >= 0`)
      .execute();
    // One hold, at most one capture and one release per task: a second settlement cannot commit.
    await db.schema.createIndex('ledger_task_entry').on('ledger').columns(['task_id', 'entry']).unique().execute();
    await db.schema.createIndex('ledger_key_time').on('ledger').columns(['key_id', 'created_at']).execute();
    await db.schema.createIndex('ledger_time').on('ledger').column('created_at').execute();
  },
};

/** Channel health and request pacing shared by every instance (issue 7). */
const channelState: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('channel_state')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('fingerprint', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('next_request_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('unhealthy_until', 'bigint')
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_success_at', 'bigint')
      .addColumn('recent_errors', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
  },
};

/** The dashboard's newest-first task lists, across every dialect and kind: one key's, and everyone's. */
const dashboardLists: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('tasks_key_recent').on('tasks').columns(['key_id', 'created_at']).execute();
    await db.schema.createIndex('tasks_recent').on('tasks').column('created_at').execute();
  },
};

/** The body of an upstream's last callback, read by the task's next check instead of a status query. */
const callbackBodies: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('tasks').addColumn('callback_body', 'text').execute();
  },
};

/**
 * Due tasks per provider, in due order: a claim from the local pool (provider = 'preview') seeks
 * straight to its own due rows instead of walking every due remote task in `tasks_due` (profiled
 * under 10,000 remote tasks in flight: 160 µs per empty local claim, the largest cost of the
 * engine). The per-channel in-flight count (provider = ? and due_at is not null) reads its prefix,
 * so the provider-only index it replaces goes.
 */
const dueByProvider: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('tasks_provider_due').on('tasks').columns(['provider', 'due_at']).where(sql.ref('due_at'), 'is not', null).execute();
    await db.schema.dropIndex('tasks_active_provider').execute();
  },
};

export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-upstreams': upstreams,
  '0003-notifications': notifications,
  '0004-billing': billing,
  '0005-channel-state': channelState,
  '0006-dashboard-lists': dashboardLists,
  '0007-callback-bodies': callbackBodies,
  '0008-due-by-provider': dueByProvider,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Brings the schema up to date; throws with the failing migration's error. On PostgreSQL the
 * migration tables live in the connection's current schema: without naming it, Kysely takes a
 * `kysely_migration` table in any other schema of the database for its own.
 */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrationTableSchema =
    db.kind === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely)).rows[0]?.schema : undefined;
  const migrator = new Migrator({ db: db.kysely, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
