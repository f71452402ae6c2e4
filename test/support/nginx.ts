/**
 * A real nginx in front of test servers, configured by the committed example deploy/nginx.conf.
 * Only what must differ on a test machine is replaced: the upstream's `server host:port` lines,
 * the `listen` line and the access_log path; each replacement must match, so a reshaped example
 * fails here loudly instead of being tested half. nginx runs in the foreground as the test's own
 * user (one process: `master_process off`, so nothing drops privileges to another user), with a
 * temp prefix for its pid file, logs and temp folders, inside a main config like a distribution's
 * (which compresses text types, event streams included).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { repoRoot } from './child-server.ts';
import { tempDir } from './temp-dir.ts';

export const exampleNginxConf = path.join(repoRoot, 'deploy/nginx.conf');

/** The nginx binary on PATH (or Debian's /usr/sbin, which a non-root PATH may lack), or null. */
export function findNginx(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const file = path.join(dir, 'nginx');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** Replaces `pattern` in `text`, which must match exactly `count` times. */
function replaceCounted(text: string, pattern: RegExp, count: number, replace: (match: string) => string, what: string): string {
  const found = text.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`))?.length ?? 0;
  if (found !== count) throw new Error(`deploy/nginx.conf: expected ${count} ${what}, found ${found}`);
  return text.replace(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`), replace);
}

/**
 * The example with `upstreams` (host:port) as its servers, listening on 127.0.0.1:`port`, logging
 * to `accessLog`. The example's own server lines go; the first one's parameters (max_fails...) are kept.
 */
export function nginxConfFromExample(example: string, options: { upstreams: string[]; port: number; accessLog: string }): string {
  const serverLine = /^([ \t]*)server [^\s;]+:\d+((?: [^;\n]*)?);[ \t]*\n/gm;
  const matches = [...example.matchAll(serverLine)];
  const [indent = '    ', params = ''] = matches[0]?.slice(1) ?? [];
  if (matches.length < 2) throw new Error(`deploy/nginx.conf: expected an upstream with several "server host:port" lines, found ${matches.length}`);
  let seen = 0;
  let conf = example.replace(serverLine, () => (seen++ === 0 ? options.upstreams.map((u) => `${indent}server ${u}${params};\n`).join('') : ''));
  conf = replaceCounted(conf, /^([ \t]*)listen [^;]+;/m, 1, (m) => m.replace(/listen [^;]+;/, `listen 127.0.0.1:${options.port};`), '"listen" line');
  conf = replaceCounted(conf, /^([ \t]*)access_log \S+ reelay;/m, 1, (m) => m.replace(/access_log \S+/, `access_log ${options.accessLog}`), '"access_log ... reelay" line');
  return conf;
}

export type TestNginx = {
  url: string;
  /** The access log so far (format `reelay` of the example: has `upstream=<addr>`). */
  accessLog(): string;
  errorLog(): string;
  stop(): Promise<void>;
};

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNginx(options: { bin: string; upstreams: string[]; port: number; timeoutMs?: number }): Promise<TestNginx> {
  const prefix = tempDir('reelay-nginx-');
  const dir = prefix.dir;
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, sub));
  const accessLog = path.join(dir, 'access.log');
  const errorLog = path.join(dir, 'error.log');
  writeFileSync(path.join(dir, 'reelay.conf'), nginxConfFromExample(readFileSync(exampleNginxConf, 'utf8'), { upstreams: options.upstreams, port: options.port, accessLog }));
  // The main file a distribution's nginx.conf would be, with every path under the prefix.
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'master_process off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${errorLog} info;`,
      'events { worker_connections 256; }',
      'http {',
      // Many main configs compress text types; a compressed event stream is held back and sent in
      // batches unless the example's events location passes it on as written.
      '  gzip on; gzip_min_length 1; gzip_types application/json text/event-stream;',
      `  client_body_temp_path ${dir}/client_body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi;`,
      `  scgi_temp_path ${dir}/scgi;`,
      `  include ${dir}/reelay.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(options.bin, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', errorLog], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    prefix.remove();
  };
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null) {
      const why = `nginx exited ${child.exitCode}:\n${output}${read(errorLog)}`;
      prefix.remove();
      throw new Error(why);
    }
    if (await portOpen(options.port)) break;
    if (Date.now() > deadline) {
      const why = `nginx did not listen on ${options.port}:\n${output}${read(errorLog)}`;
      await stop();
      throw new Error(why);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://127.0.0.1:${options.port}`, accessLog: () => read(accessLog), errorLog: () => read(errorLog), stop };
}
