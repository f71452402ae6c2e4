/** What the dashboard's routes share: the signed-in session on the context, and their dependencies. */
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { PriceTable } from '../../billing/price-table.ts';
import type { UsageReporter } from '../../billing/usage.ts';
import type { TaskCanceler } from '../../engine/cancel-task.ts';
import type { ChannelStatus } from '../../engine/channel-status.ts';
import type { TaskCreator } from '../../engine/create-task.ts';
import type { TaskEvents } from '../../engine/task-events.ts';
import type { Task } from '../../domain/task.ts';
import type { ApiKeyStore } from '../../store/api-keys.ts';
import type { DashboardReads } from '../../store/dashboard-reads.ts';
import type { DeliveryStore } from '../../store/deliveries.ts';
import type { TaskRepository } from '../../store/task-repository.ts';
import type { AppEnv } from '../app-env.ts';
import type { Authenticator } from '../authenticate.ts';
import type { DashboardSession, SessionStore } from './dashboard-session.ts';

export type DashboardEnv = { Variables: AppEnv['Variables'] & { session: DashboardSession } };
export type DashboardApp = Hono<DashboardEnv>;

export type DashboardDeps = {
  authenticate: Authenticator;
  sessions: SessionStore;
  keys: ApiKeyStore;
  tasks: TaskRepository;
  reads: DashboardReads;
  deliveries: DeliveryStore;
  events: TaskEvents;
  cancelTask: TaskCanceler;
  /** Creates a task as the API does (callback URLs checked, idempotency, the hold). */
  createTask: TaskCreator;
  models: readonly string[];
  prices: PriceTable;
  channels: () => Promise<ChannelStatus[]>;
  usage: UsageReporter;
  /** A replayed delivery's fresh body, and waking the sender (admin deliveries page). */
  renderCallback: (task: Task) => string | null;
  notifySender: () => void;
  allowPrivateUrls: boolean;
  /** REELAY_PUBLIC_URL: a browser behind a proxy sends it as Origin (the request's Host may lack the port). */
  publicUrl: () => string;
  /** A storage key -> a signed, expiring media link. */
  mediaUrl: (key: string) => string;
  /** Live list and task page: the slow re-read when no notification came. */
  pollMs: number;
  keepAliveMs: number;
  log: Logger;
  now: () => number;
};
