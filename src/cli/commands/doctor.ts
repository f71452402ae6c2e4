/**
 * `reelay doctor`: checks what a serving Reelay depends on, with this process's configuration:
 * ffmpeg/ffprobe, the database, media storage, each channel's credentials, the public URL.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Command } from '@commander-js/extra-typings';
import type { ChannelConfig, Config } from '../../config.ts';
import { createDiskStorage } from '../../media/disk-storage.ts';
import { resolveFfmpegBinaries } from '../../media/ffmpeg-binaries.ts';
import type { Storage } from '../../media/storage.ts';
import { createKlingTokenSource } from '../../providers/kling/kling-jwt.ts';
import { openDatabase } from '../../store/database.ts';
import { pingDatabase } from '../../store/ping.ts';
import { loadConfigOrExit } from '../load-config-or-exit.ts';

const run = promisify(execFile);

export type CheckStatus = 'ok' | 'fail' | 'skip';
export type CheckResult = { name: string; status: CheckStatus; detail: string };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

async function check(name: string, work: () => Promise<string | { status: CheckStatus; detail: string }>): Promise<CheckResult> {
  try {
    const out = await work();
    return typeof out === 'string' ? { name, status: 'ok', detail: out } : { name, ...out };
  } catch (e) {
    return { name, status: 'fail', detail: message(e) };
  }
}

async function versionOf(file: string): Promise<string> {
  const { stdout } = await run(file, ['-version'], { timeout: 15_000 });
  // "ffmpeg version 6.1.1-3 Copyright (c) ...": the part before the copyright.
  return (stdout.split('\n')[0] ?? '').replace(/\s+Copyright.*$/, '').trim();
}

async function checkFfmpeg(config: Config): Promise<CheckResult[]> {
  let bins: ReturnType<typeof resolveFfmpegBinaries>;
  try {
    bins = resolveFfmpegBinaries({ ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath });
  } catch (e) {
    return [{ name: 'ffmpeg', status: 'fail', detail: message(e) }, { name: 'ffprobe', status: 'fail', detail: 'not checked: ffmpeg was not found' }];
  }
  return Promise.all([
    check('ffmpeg', async () => `${bins.ffmpeg} (${bins.source}): ${await versionOf(bins.ffmpeg)}`),
    check('ffprobe', async () => `${bins.ffprobe}: ${await versionOf(bins.ffprobe)}`),
  ]);
}

function postgresAt(url: string): string {
  try {
    const u = new URL(url);
    return `postgres at ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres';
  }
}

function checkDatabase(config: Config): Promise<CheckResult> {
  return check('database', async () => {
    // Never the URL itself: it may hold a password.
    const where = config.databaseUrl ? postgresAt(config.databaseUrl) : `sqlite in ${config.dataDir}`;
    try {
      const db = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, sqliteSynchronous: config.file.sqlite.synchronous });
      try {
        await pingDatabase(db.kysely);
      } finally {
        await db.close();
      }
    } catch (e) {
      throw new Error(`${where}: ${message(e)}`);
    }
    return `${where} answers`;
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

function checkStorage(config: Config): Promise<CheckResult> {
  return check('storage', async () => {
    let storage: Storage;
    let where: string;
    if (config.s3) {
      const { createS3Client, createS3Storage } = await import('../../media/s3-storage.ts');
      storage = createS3Storage({ client: createS3Client(config.s3), bucket: config.s3.bucket });
      where = `s3 bucket ${config.s3.bucket}${config.s3.endpoint ? ` at ${config.s3.endpoint}` : ''}`;
    } else {
      const root = path.join(config.dataDir, 'media');
      storage = createDiskStorage(root);
      where = `disk ${root}`;
    }
    const work = mkdtempSync(path.join(tmpdir(), 'reelay-doctor-'));
    const key = `doctor/probe-${randomBytes(8).toString('hex')}.txt`;
    const content = Buffer.from(`reelay doctor ${new Date().toISOString()}\n`);
    try {
      const file = path.join(work, 'probe.txt');
      writeFileSync(file, content);
      await storage.putFile(key, file);
      const back = await readAll(storage.read(key));
      if (!back.equals(content)) throw new Error(`${where}: the probe object read back differs from what was written`);
      await storage.delete(key);
      if ((await storage.stat(key)) !== null) throw new Error(`${where}: the probe object ${key} is still there after delete`);
      return `${where}: wrote, read and deleted a probe object`;
    } catch (e) {
      await storage.delete(key).catch(() => undefined);
      throw new Error(`${where}: ${message(e)}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/** Kling (JWT) and newapi (bearer) channels: list one task, a read that changes nothing. */
async function checkKlingCredentials(ch: ChannelConfig): Promise<string> {
  const base = ch.baseUrl.replace(/\/+$/, '');
  const url = `${ch.provider === 'newapi' ? `${base}/kling/v1` : `${base}/v1`}/videos/text2video?pageNum=1&pageSize=1`;
  const token =
    ch.provider === 'kling'
      ? await createKlingTokenSource({ accessKey: ch.accessKey ?? '', secretKey: ch.secretKey ?? '', now: Date.now }).token()
      : (ch.apiKey ?? '');
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'user-agent': 'reelay-doctor/0.1' }, signal: AbortSignal.timeout(ch.timeoutMs) });
  } catch (e) {
    throw new Error(`${base} is unreachable: ${message((e as Error).cause ?? e)}`);
  }
  const body = (await res.json().catch(() => null)) as { code?: unknown; message?: unknown } | null;
  const code = typeof body?.code === 'number' ? body.code : null;
  if (res.ok && code === 0) return `${base}: credentials accepted (listed tasks)`;
  const said = typeof body?.message === 'string' ? `: ${body.message}` : '';
  throw new Error(`${base} refused the credentials: HTTP ${res.status}${code !== null ? `, code ${code}` : ''}${said}`);
}

function checkChannel(ch: ChannelConfig): Promise<CheckResult> {
  return check(`channel ${ch.name}`, async () => {
    if (ch.provider === 'kling' || ch.provider === 'newapi') return `${ch.provider} ${await checkKlingCredentials(ch)}`;
    return { status: 'skip', detail: `${ch.provider} at ${ch.baseUrl}: not checked (the provider offers no harmless authenticated call)` };
  });
}

function checkPublicUrl(config: Config): Promise<CheckResult> {
  return check('public url', async () => {
    const url = `${config.publicUrl}/healthz`;
    const origin = config.publicUrlExplicit ? 'REELAY_PUBLIC_URL' : 'from HOST/PORT; REELAY_PUBLIC_URL is not set';
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    } catch (e) {
      throw new Error(`${url} (${origin}) is unreachable: ${message((e as Error).cause ?? e)}`);
    }
    const body = (await res.json().catch(() => null)) as { status?: unknown } | null;
    if (res.status !== 200 || body?.status !== 'ok') throw new Error(`${url} (${origin}) answered HTTP ${res.status}, not Reelay's {"status":"ok"}`);
    return `${url} (${origin}) answers ok`;
  });
}

export async function runDoctor(config: Config): Promise<CheckResult[]> {
  const [ffmpeg, rest] = await Promise.all([
    checkFfmpeg(config),
    Promise.all([checkDatabase(config), checkStorage(config), ...config.channels.map(checkChannel), checkPublicUrl(config)]),
  ]);
  return [...ffmpeg, ...rest];
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check ffmpeg, the database, storage, upstream credentials and the public URL')
    .option('--json', 'print the checks as JSON', false)
    .addHelpText(
      'after',
      `
Uses the same configuration as \`reelay serve\` (environment, REELAY_CONFIG). One line a check:
ok, fail or skip, and why. Exit code 1 if any check failed.

Examples:
  reelay doctor
  REELAY_PUBLIC_URL=https://video.example.com reelay doctor --json`,
    )
    .action(async (opts) => {
      const config = loadConfigOrExit();
      const results = await runDoctor(config);
      const failed = results.some((r) => r.status === 'fail');
      if (opts.json) console.log(JSON.stringify({ ok: !failed, checks: results }, null, 2));
      else {
        const width = Math.max(...results.map((r) => r.name.length));
        for (const r of results) console.log(`${r.status.padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}`);
      }
      process.exit(failed ? 1 : 0);
    });
}
