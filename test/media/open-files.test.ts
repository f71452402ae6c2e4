/**
 * The disk storage's open-file cache (src/media/open-files.ts), on real files: a file stays open
 * between uses and is closed when idle; forget makes the next use see the file now at the path;
 * an open that raced a forget is not kept; at most `maxOpen` idle files stay open.
 */
import { readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOpenFiles } from '../../src/media/open-files.ts';
import { tempDir } from '../support/temp-dir.ts';

const tmp = tempDir('reelay-open-files-');
afterAll(() => tmp.remove());
let n = 0;
const file = (content: string): string => {
  const p = path.join(tmp.dir, `f${++n}.bin`);
  writeFileSync(p, content);
  return p;
};
const readAll = async (files: ReturnType<typeof createOpenFiles>, p: string) =>
  files.with(p, async ({ handle, size }) => {
    const b = Buffer.alloc(size);
    await handle.read(b, 0, size, 0);
    return b.toString();
  });
const openFds = () => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('open files of the disk storage', () => {
  it('keeps a file open between uses (it is still read after being unlinked behind the cache), and closes it when idle', async () => {
    const files = createOpenFiles({ idleMs: 100 });
    const p = file('first');
    expect(await readAll(files, p)).toBe('first');
    unlinkSync(p);
    expect(await readAll(files, p)).toBe('first');
    await sleep(400);
    expect(await readAll(files, p)).toBeNull();
  });

  it('after forget, reads the file now at the path (a new one renamed in)', async () => {
    const files = createOpenFiles({ idleMs: 10_000 });
    const p = file('old');
    expect(await readAll(files, p)).toBe('old');
    renameSync(file('new'), p);
    files.forget(p);
    expect(await readAll(files, p)).toBe('new');
  });

  it('does not keep a file opened by a use that began before a forget', async () => {
    const files = createOpenFiles({ idleMs: 10_000 });
    const p = file('before');
    const racing = readAll(files, p);
    files.forget(p);
    expect(await racing).toBe('before');
    renameSync(file('after'), p);
    expect(await readAll(files, p)).toBe('after');
  });

  it('answers null for a missing file or a directory', async () => {
    const files = createOpenFiles();
    expect(await readAll(files, path.join(tmp.dir, 'none'))).toBeNull();
    expect(await files.with(tmp.dir, async () => 'opened')).toBeNull();
  });

  it('closes a file it could not keep because every kept one was in use', async () => {
    const files = createOpenFiles({ idleMs: 10_000, maxOpen: 1 });
    let finish!: () => void;
    const busy = files.with(file('busy'), () => new Promise<void>((r) => (finish = r)));
    await sleep(10);
    let used: FileHandle | null = null;
    await files.with(file('other'), async ({ handle }) => void (used = handle));
    await sleep(20);
    // A FileHandle's fd is -1 once it is closed.
    expect((used as FileHandle | null)?.fd).toBe(-1);
    finish();
    await busy;
  });

  it('holds at most maxOpen idle files open, closing the least recently used', async () => {
    const files = createOpenFiles({ idleMs: 10_000, maxOpen: 3 });
    const before = openFds();
    const paths = Array.from({ length: 10 }, (_, i) => file(`f${i}`));
    for (const p of paths) expect(await readAll(files, p)).toMatch(/^f\d$/);
    await sleep(50);
    expect(openFds() - before).toBeLessThanOrEqual(3);
    // The newest stay open: readable after unlinking; the oldest went.
    unlinkSync(paths[9] as string);
    unlinkSync(paths[0] as string);
    expect(await readAll(files, paths[9] as string)).toBe('f9');
    expect(await readAll(files, paths[0] as string)).toBeNull();
  });
});
