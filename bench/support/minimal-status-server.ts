/**
 * A reference for the status benchmark, not a baseline: the least a status read can do, written on
 * bare node:http with no framework — compare the bearer key's digest, read the task by its public
 * id and key with one prepared SQLite statement on the same database Reelay serves, sign its video
 * link (HMAC-SHA256), answer the Kling envelope. It shows how much of the bare echo server's rate
 * is left once a read does only what it must; Reelay's own figure sits below it.
 * Run as its own process: `node --import tsx bench/support/minimal-status-server.ts <port> <db> <key>`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import SqliteDatabase from 'better-sqlite3';

type Row = { public_id: string; status: string; result: string | null; created_at: number; updated_at: number };

const [port, file, masterKey] = process.argv.slice(2);
if (!port || !file || !masterKey) throw new Error('usage: minimal-status-server.ts <port> <db file> <master key>');
const db = new SqliteDatabase(file, { readonly: true });
const read = db.prepare<[string, string], Row>('select public_id, status, result, created_at, updated_at from tasks where public_id = ? and key_id = ?');
const masterDigest = createHash('sha256').update(masterKey).digest();
const linkKey = randomBytes(32);

function signed(key: string): string {
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const signature = createHmac('sha256', linkKey).update(`${key}\n${expires}`).digest('base64url');
  return `http://127.0.0.1:${port}/media/${key}?expires=${expires}&signature=${signature}`;
}

const server = createServer((req, res) => {
  const credential = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
  const owner = timingSafeEqual(createHash('sha256').update(credential).digest(), masterDigest) ? 'master' : null;
  const url = req.url ?? '/';
  const row = owner === null ? undefined : read.get(url.slice(url.lastIndexOf('/') + 1), owner);
  if (!row) {
    res.writeHead(owner === null ? 401 : 404, { 'content-type': 'application/json' });
    res.end('{"code":1201,"message":"not found"}');
    return;
  }
  const videos = row.result === null ? [] : (JSON.parse(row.result) as { videos: Array<{ id: string; key: string; duration: number }> }).videos;
  const body = JSON.stringify({
    code: 0,
    message: 'SUCCEED',
    request_id: randomBytes(8).toString('hex'),
    data: {
      task_id: row.public_id,
      task_status: row.status === 'completed' ? 'succeed' : 'processing',
      task_result: { videos: videos.map((v) => ({ id: v.id, url: signed(v.key), duration: String(v.duration) })) },
      created_at: row.created_at,
      updated_at: row.updated_at,
    },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
