/**
 * The master key and the server secret. Each comes from the environment or, in the embedded
 * default, from a file in the data dir created on first start with mode 0600. Purpose keys are
 * derived from the server secret with HKDF so one secret serves links and key encryption.
 */
import { randomBytes, hkdfSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';

export type ServerSecrets = {
  masterKey: string;
  /** Where the master key lives when it came from the data dir (null when from the env). */
  masterKeyFile: string | null;
  /** True when this start created the master key file. */
  masterKeyCreated: boolean;
  /** 32 bytes for HMAC-signed media links. */
  linkKey: Buffer;
  /** 32 bytes for AES-256-GCM of stored secret keys. */
  encryptionKey: Buffer;
  /** 32 bytes for the per-task tokens in the callback URLs Reelay gives upstreams. */
  callbackKey: Buffer;
  /** 32 bytes the dashboard's session cookie and CSRF keys derive from. */
  dashboardKey: Buffer;
};

export const MASTER_KEY_FILE = 'master.key';
const SECRET_FILE = 'secret.key';

function readOrCreate(file: string, make: () => string): { value: string; created: boolean } {
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), created: false };
  mkdirSync(path.dirname(file), { recursive: true });
  const value = make();
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    return { value: readFileSync(file, 'utf8').trim(), created: false };
  }
  chmodSync(file, 0o600);
  return { value, created: true };
}

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'reelay', purpose, 32));
}

/** A new master key: `rlm_` + 43 base64url characters (256 bits). */
export function newMasterKey(): string {
  return `rlm_${randomBytes(32).toString('base64url')}`;
}

export function loadServerSecrets(config: Config): ServerSecrets {
  const masterFile = path.join(config.dataDir, MASTER_KEY_FILE);
  const master = config.masterKey
    ? { value: config.masterKey, created: false }
    : readOrCreate(masterFile, newMasterKey);
  const secret = config.secret ?? readOrCreate(path.join(config.dataDir, SECRET_FILE), () => randomBytes(32).toString('base64url')).value;
  return {
    masterKey: master.value,
    masterKeyFile: config.masterKey ? null : masterFile,
    masterKeyCreated: master.created,
    linkKey: derive(secret, 'media-links'),
    encryptionKey: derive(secret, 'api-key-secrets'),
    callbackKey: derive(secret, 'upstream-callbacks'),
    dashboardKey: derive(secret, 'dashboard-sessions'),
  };
}
