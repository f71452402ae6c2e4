/**
 * Open files of the disk storage, kept a few seconds after their last use. A player seeking
 * through a video sends Range request after Range request for the same file, and each would
 * otherwise pay a stat, an open and a close (three trips through libuv) around its one read
 * (bench/media.ts, 1 MiB Range GETs against nginx). Stored files never change in place: putFile
 * renames a new file in and delete removes it, and both go through the storage, which forgets the
 * path; a lookup that began before a forget does not keep what it opened.
 */
import { open, type FileHandle } from 'node:fs/promises';

export type OpenFile = { readonly handle: FileHandle; readonly size: number };

export type OpenFiles = {
  /** Runs `use` with the file open; null when there is no file at `path`. */
  with<T>(path: string, use: (file: OpenFile) => Promise<T>): Promise<T | null>;
  /** The file at `path` changed or went: the next use opens it afresh. */
  forget(path: string): void;
};

type Entry = OpenFile & { users: number; lastUsed: number; forgotten: boolean };

const IDLE_MS = 5000;
const MAX_OPEN = 64;

export function createOpenFiles(options: { idleMs?: number; maxOpen?: number } = {}): OpenFiles {
  const idleMs = options.idleMs ?? IDLE_MS;
  const maxOpen = options.maxOpen ?? MAX_OPEN;
  const entries = new Map<string, Entry>();
  // Bumped by every forget: an open that began before one is used once, never kept.
  let generation = 0;
  let sweeper: NodeJS.Timeout | null = null;

  const closeLater = (entry: Entry): void => {
    if (entry.users === 0) void entry.handle.close().catch(() => undefined);
  };

  function drop(path: string, entry: Entry): void {
    if (entries.get(path) === entry) entries.delete(path);
    entry.forgotten = true;
    closeLater(entry);
  }

  function sweep(): void {
    const now = Date.now();
    for (const [path, entry] of entries) if (entry.users === 0 && now - entry.lastUsed >= idleMs) drop(path, entry);
    if (entries.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = null;
    }
  }

  function keep(path: string, entry: Entry): void {
    if (entries.size >= maxOpen) {
      const oldest = [...entries].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (!oldest) {
        // Every kept file is in use: this one is used once and closed.
        entry.forgotten = true;
        return;
      }
      drop(oldest[0], oldest[1]);
    }
    entries.set(path, entry);
    if (!sweeper) {
      sweeper = setInterval(sweep, Math.max(100, Math.floor(idleMs / 2)));
      sweeper.unref();
    }
  }

  async function openEntry(path: string): Promise<Entry | null> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch {
      return null;
    }
    const stats = await handle.stat().catch(() => null);
    if (!stats?.isFile()) {
      await handle.close().catch(() => undefined);
      return null;
    }
    return { handle, size: stats.size, users: 0, lastUsed: Date.now(), forgotten: false };
  }

  return {
    async with(path, use) {
      let entry = entries.get(path);
      if (!entry) {
        const began = generation;
        const opened = await openEntry(path);
        if (!opened) return null;
        // Another request may have opened it meanwhile: use the kept one, close ours.
        const raced = entries.get(path);
        if (raced) {
          await opened.handle.close().catch(() => undefined);
          entry = raced;
        } else {
          entry = opened;
          if (began === generation) keep(path, entry);
          else entry.forgotten = true;
        }
      }
      entry.users++;
      try {
        return await use(entry);
      } finally {
        entry.users--;
        entry.lastUsed = Date.now();
        if (entry.forgotten) closeLater(entry);
      }
    },
    forget(path) {
      generation++;
      const entry = entries.get(path);
      if (entry) drop(path, entry);
    },
  };
}
