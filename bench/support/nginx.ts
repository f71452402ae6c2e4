/**
 * The media baseline: the system's nginx (Debian package, /usr/sbin/nginx) as a child process in
 * the foreground, with its own prefix and config in a scratch folder, serving one folder of
 * files. One worker process, the whole server pinned to the server core like Reelay; sendfile
 * on, as Debian's default nginx.conf has it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, startPinnedServer, type Proc } from './processes.ts';

export const NGINX = process.env['NGINX_PATH'] ?? '/usr/sbin/nginx';

export async function startNginx(prefix: string, root: string): Promise<Proc> {
  const port = await freePort();
  for (const d of ['logs', 'temp']) mkdirSync(path.join(prefix, d), { recursive: true });
  const temp = (name: string) => path.join(prefix, 'temp', name);
  const conf = path.join(prefix, 'nginx.conf');
  const isRoot = process.getuid?.() === 0;
  writeFileSync(
    conf,
    `${isRoot ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${path.join(prefix, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  keepalive_timeout 65;
  types { video/mp4 mp4; }
  default_type application/octet-stream;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`,
  );
  // SIGTERM on stop: nginx's fast shutdown of the master and its worker.
  return startPinnedServer({ executable: NGINX, args: ['-p', prefix, '-c', conf, '-e', 'stderr'], url: `http://127.0.0.1:${port}`, readyPath: '/' });
}
