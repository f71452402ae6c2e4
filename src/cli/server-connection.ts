/**
 * `--url` / `--key` for the commands that talk to a running Reelay over HTTP (generate, tasks):
 * REELAY_URL / REELAY_KEY, else the configured public URL and the master key in the data dir.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { MASTER_KEY_FILE } from '../secrets.ts';
import { loadConfigOrExit } from './load-config-or-exit.ts';

export type ServerConnection = { baseUrl: string; key: string };

export const urlOption = () => new Option('--url <url>', 'Reelay base URL (default: from HOST/PORT/REELAY_PUBLIC_URL)').env('REELAY_URL');
export const keyOption = () => new Option('--key <key>', 'API key (default: the master key in the data dir)').env('REELAY_KEY');

function masterKey(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(dataDir, MASTER_KEY_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The server to call and the key to call it with; exits 2 when there is no key to be found. */
export function resolveConnection(opts: { url?: string | undefined; key?: string | undefined }): ServerConnection {
  const config = loadConfigOrExit();
  const key = opts.key ?? masterKey(config.dataDir);
  if (!key) {
    console.error('no API key: pass --key, set REELAY_KEY, or start the server once to create the master key');
    process.exit(2);
  }
  return { baseUrl: (opts.url ?? config.publicUrl).replace(/\/+$/, ''), key };
}
