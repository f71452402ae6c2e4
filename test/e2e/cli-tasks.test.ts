import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, cliArgs, repoRoot, runCli } from '../support/child-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const cli = runCli;

async function createTask(server: TestServer, key: string, body: Record<string, unknown>): Promise<string> {
  const res = await server.api('/v1/videos/text2video', { method: 'POST', key, json: { duration: '3', ...body } });
  const json = (await res.json()) as { code: number; data: { task_id: string } };
  if (json.code !== 0) throw new Error(`create failed: ${JSON.stringify(json)}`);
  return json.data.task_id;
}

type TaskJson = { task_id: string; kind: string; status: string; progress: number; message: string; external_task_id: string | null; videos: Array<{ url: string; duration_seconds: number }> };

describe('reelay tasks (a running server, over HTTP)', () => {
  let server: TestServer;
  let idle: TestServer;
  beforeAll(async () => {
    [server, idle] = await Promise.all([startTestServer(), startTestServer()]);
    // No worker: its tasks stay queued until canceled.
    await idle.worker.stop();
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), idle?.stop()]);
  });

  it('wait follows a task to completed (plain lines off a TTY, exit 0), then show and list find it', async () => {
    const key = (await server.createKey('tasks-cli')).key;
    const env = { REELAY_URL: server.url, REELAY_KEY: key };
    const first = await createTask(server, key, { prompt: 'first', external_task_id: 'cli-ext-1' });
    const id = await createTask(server, key, { prompt: 'second' });

    const waited = await cli(['tasks', 'wait', id], env);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).toContain(`task ${id}: completed 100%`);
    expect(waited.stdout).toContain(`task ${id} completed`);
    expect(waited.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\S+$/m);

    const json = await cli(['tasks', 'wait', id, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const task = JSON.parse(json.stdout) as TaskJson;
    expect(task).toMatchObject({ task_id: id, kind: 'text2video', status: 'completed', progress: 100 });
    expect(task.videos).toHaveLength(1);
    expect(task.videos[0]?.duration_seconds).toBe(3);
    const video = await fetch(task.videos[0]?.url ?? '');
    expect(video.status).toBe(200);

    const shown = await cli(['tasks', 'show', id], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^status\s+completed$/m);
    expect(shown.stdout).toMatch(/^progress\s+100%$/m);
    expect(shown.stdout).toMatch(/^video\s+http:\/\/\S+ \(3 s\)$/m);
    const byExternal = JSON.parse((await cli(['tasks', 'show', 'cli-ext-1', '--json'], env)).stdout) as TaskJson;
    expect(byExternal).toMatchObject({ task_id: first, external_task_id: 'cli-ext-1' });

    const listed = await cli(['tasks', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as TaskJson[]).map((t) => t.task_id)).toEqual([id, first]);
    const limited = JSON.parse((await cli(['tasks', 'list', '--json', '--limit', '1'], env)).stdout) as TaskJson[];
    expect(limited.map((t) => t.task_id)).toEqual([id]);
    const table = await cli(['tasks', 'list', '--url', server.url, '--key', key]);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+kind\s+status\s+progress\s+created\s+message$/);
    expect(lines[1]).toMatch(new RegExp(`^${id}\\s+text2video\\s+completed\\s+100%\\s+\\d{4}-`));
    expect(lines).toHaveLength(3);

    // Another key sees none of them.
    const other = (await server.createKey('someone-else')).key;
    expect((await cli(['tasks', 'list'], { ...env, REELAY_KEY: other })).stdout.trim()).toBe('no tasks');
    const notTheirs = await cli(['tasks', 'show', id], { ...env, REELAY_KEY: other });
    expect(notTheirs).toMatchObject({ code: 1, stderr: expect.stringContaining(`task ${id} does not exist`) });
  });

  it('cancel ends a queued task; wait then exits non-zero; a second cancel is refused', async () => {
    const key = (await idle.createKey('tasks-cancel')).key;
    const env = { REELAY_URL: idle.url, REELAY_KEY: key };
    const id = await createTask(idle, key, { prompt: 'never rendered' });
    expect(JSON.parse((await cli(['tasks', 'show', id, '--json'], env)).stdout)).toMatchObject({ status: 'queued', progress: 0 });

    // A wait started while the task is queued prints its state, then ends when the task does.
    const follower = spawn(process.execPath, cliArgs('tasks', 'wait', id), { cwd: repoRoot, env: { ...baseEnv(), ...env } });
    let followed = '';
    follower.stderr.on('data', (d: Buffer) => (followed += d.toString()));
    const exited = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    for (let i = 0; i < 200 && !followed.includes(`task ${id}: queued 0%`); i++) await new Promise((r) => setTimeout(r, 50));
    expect(followed).toContain(`task ${id}: queued 0%`);

    const canceled = await cli(['tasks', 'cancel', id], env);
    expect(canceled.code, canceled.stderr).toBe(0);
    expect(canceled.stdout.trim()).toBe(`task ${id} canceled`);

    expect(await exited).toBe(3);
    expect(followed).toContain(`task ${id}: canceled 0%`);
    expect(followed).toContain(`task ${id} canceled: the task was canceled`);

    const waited = await cli(['tasks', 'wait', id, '--json'], env);
    expect(waited.code).toBe(3);
    expect(JSON.parse(waited.stdout)).toMatchObject({ task_id: id, status: 'canceled', message: 'the task was canceled' });
    const plain = await cli(['tasks', 'wait', id], env);
    expect(plain).toMatchObject({ code: 3, stderr: expect.stringContaining(`task ${id} canceled: the task was canceled`) });

    expect(JSON.parse((await cli(['tasks', 'list', '--json'], env)).stdout)).toMatchObject([{ task_id: id, status: 'canceled' }]);
    const again = await cli(['tasks', 'cancel', id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already canceled; only a queued or running task can be canceled/);
  });

  it('refuses what it cannot do: an unknown task, a bad --limit, no server', async () => {
    const env = { REELAY_URL: idle.url, REELAY_KEY: idle.masterKey };
    expect(await cli(['tasks', 'wait', 'no-such-task'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('task no-such-task does not exist') });
    expect(await cli(['tasks', 'cancel', 'no-such-task'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('task no-such-task does not exist') });
    expect(await cli(['tasks', 'list', '--limit', '0'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('--limit must be a whole number between 1 and 500') });
    const down = await cli(['tasks', 'list'], { REELAY_URL: 'http://127.0.0.1:9', REELAY_KEY: 'rl_x' });
    expect(down).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot reach Reelay at http://127.0.0.1:9') });
  });
});
