/** Shared by the Kling simulator tests: starting one, signing real JWTs, a callback receiver, waiting. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { startKlingSim, type KlingSim, type KlingSimOptions, type SimTask } from '../../tools/kling-sim/sim-server.ts';

export const ACCESS_KEY = 'sim-access-key';
export const SECRET_KEY = 'sim-secret-key';

/** The spec's simple single-shot request (§1.3, a real kling-v3 request log). */
export const SPEC_SIMPLE_BODY = {
  model_name: 'kling-v3',
  prompt: 'A calm woman looks at the camera and slowly smiles, natural motion, clean lighting.',
  duration: '5',
  mode: 'std',
  aspect_ratio: '16:9',
  external_task_id: 'text2video_kling_v3_final-1774805076',
} as const;

/** The cheapest clip to render, used wherever a test needs a finished task. */
export const SHORT_BODY = { model_name: 'kling-v3', prompt: 'a short simulated clip', duration: '3', mode: 'std', aspect_ratio: '16:9' } as const;

/** Nothing leaves `submitted` during a test: no render is started. */
export const IDLE_SCHEDULE = { submittedMs: 60_000, processingMs: 60_000 };
export const FAST_SCHEDULE = { submittedMs: 100, processingMs: 300 };

export const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });

export function startSim(workDir: string, options: Partial<KlingSimOptions> = {}): Promise<KlingSim> {
  return startKlingSim({ ffmpeg: ffmpeg.ffmpeg, workDir, schedule: IDLE_SCHEDULE, ...options });
}

/** A legacy Kling token as the official samples make it (spec §1.2): exp now+1800, nbf now-5. */
export function signToken(opts: { accessKey?: string; secretKey?: string; exp?: number; nbf?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(opts.accessKey ?? ACCESS_KEY)
    .setExpirationTime(opts.exp ?? now + 1800)
    .setNotBefore(opts.nbf ?? now - 5)
    .sign(new TextEncoder().encode(opts.secretKey ?? SECRET_KEY));
}

export type KlingAnswer = { status: number; body: Record<string, unknown> & { code: number; message: string; request_id: string } };

/** Calls the simulator with a valid token unless `authorization` is given (null = no header). */
export async function kling(
  sim: KlingSim,
  path: string,
  init: { method?: string; body?: unknown; authorization?: string | null } = {},
): Promise<KlingAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const authorization = init.authorization === undefined ? `Bearer ${await signToken()}` : init.authorization;
  if (authorization !== null) headers.authorization = authorization;
  const res = await fetch(`${sim.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  return { status: res.status, body: (await res.json()) as KlingAnswer['body'] };
}

export async function createTask(sim: KlingSim, body: Record<string, unknown>, kind: 'text2video' | 'image2video' = 'text2video'): Promise<string> {
  const answer = await kling(sim, `/v1/videos/${kind}`, { body });
  if (answer.status !== 200) throw new Error(`create failed: ${JSON.stringify(answer.body)}`);
  return (answer.body.data as { task_id: string }).task_id;
}

export async function waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function waitForStatus(sim: KlingSim, id: string, status: SimTask['status'], timeoutMs = 30_000): Promise<SimTask> {
  return waitFor(`task ${id} to be ${status}`, () => {
    const task = sim.task(id);
    return task?.status === status ? task : undefined;
  }, timeoutMs);
}

export type CallbackReceiver = { url: string; bodies: Array<Record<string, unknown>>; close(): Promise<void> };

/** A real HTTP server on 127.0.0.1 that records each callback body and answers `status`. */
export async function startReceiver(status = 200): Promise<CallbackReceiver> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/kling/callback`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
