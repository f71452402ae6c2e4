/**
 * The baseline: a bare node:http server that reads a JSON body and answers JSON, with nothing
 * else. Run as its own process: `node bench/support/echo-server.ts <port>` (through tsx).
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let echoed: unknown = null;
    try {
      echoed = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
    } catch {
      echoed = null;
    }
    const body = JSON.stringify({ code: 0, message: 'SUCCEED', data: { task_id: '800000000000000001', echoed } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => console.log('listening'));
