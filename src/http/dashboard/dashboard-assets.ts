/**
 * The dashboard's static files (public/dashboard: a stylesheet and a few small scripts, no build
 * step), read once at start and served with a content hash as ETag. Found by walking up from this
 * module, so the same code serves them from src/ (tsx) and from dist/ (the build).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type DashboardAsset = { body: Buffer; type: string; etag: string };

const TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function assetsDir(): string {
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'public', 'dashboard');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('public/dashboard not found above the dashboard module');
  }
}

export function loadDashboardAssets(): ReadonlyMap<string, DashboardAsset> {
  const dir = assetsDir();
  const assets = new Map<string, DashboardAsset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}
