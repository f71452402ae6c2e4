import { afterEach, beforeEach } from 'vitest';
import type { Db } from '../../src/store/database.ts';
import type { Backend } from './databases.ts';

/**
 * A fresh database on `backend` for every test of the calling suite: opened (and migrated) before
 * each test, where `onOpen` builds what the tests use from it, and closed (and dropped) after.
 * Hooks run as a stack, so a suite's own afterEach (stopping a worker) runs before the close.
 */
export function eachDatabase(backend: Backend, onOpen: (db: Db) => void): void {
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    onOpen(opened.db);
  });
  afterEach(async () => {
    const close = cleanup;
    cleanup = undefined;
    await close?.();
  });
}
