/** What every dialect's routes get from the app: auth, the task store, task creation, links. */
import type { Logger } from 'pino';
import type { TaskCreator } from '../engine/create-task.ts';
import type { Storage } from '../media/storage.ts';
import type { TaskRepository } from '../store/task-repository.ts';
import type { Authenticator } from './authenticate.ts';

export type RouteDeps = {
  authenticate: Authenticator;
  createTask: TaskCreator;
  tasks: TaskRepository;
  /** Canonical model names this server serves (config `models`). */
  models: readonly string[];
  /** A storage key -> a signed, expiring Reelay link. */
  mediaUrl: (key: string) => string;
  /** Seconds a media link stays valid (for dialects that tell clients, e.g. Novita's ttl). */
  mediaTtlSeconds: number;
  storage: Storage;
  log: Logger;
};
