/** `reelay tasks list|show|cancel|wait`: the key's tasks on a running Reelay, over HTTP. */
import { Option, type Command } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { ApiError } from '../api-client.ts';
import { fail } from '../fail.ts';
import { keyOption, resolveConnection, urlOption } from '../server-connection.ts';
import { createTasksClient, isTerminalStatus, progressOf, type TaskView } from '../tasks-client.ts';

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

/** Exit codes of `tasks wait`. */
export const WAIT_EXIT = { completed: 0, failed: 1, canceled: 3 } as const;

function table(tasks: TaskView[]): string {
  const header = ['id', 'kind', 'status', 'progress', 'created', 'message'];
  const rows = tasks.map((t) => [t.task_id, t.kind, t.status, `${t.progress}%`, t.created_at, t.message]);
  const lines = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  return lines.map((cells) => cells.map((c, i) => (i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

function details(t: TaskView): string {
  const lines = [
    `task      ${t.task_id}`,
    `kind      ${t.kind}`,
    `status    ${t.status}${t.message ? ` (${t.message})` : ''}`,
    `progress  ${t.progress}%`,
    `created   ${t.created_at}`,
    `updated   ${t.updated_at}`,
  ];
  if (t.external_task_id) lines.push(`external  ${t.external_task_id}`);
  if (t.credits_charged !== null) lines.push(`charged   ${t.credits_charged} credits`);
  for (const v of t.videos) lines.push(`video     ${v.url} (${v.duration_seconds} s)`);
  return lines.join('\n');
}

/** Runs a command body; a refusal from the server (or no server) ends it with its message, exit 1. */
async function orApiFail(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    if (e instanceof ApiError) fail(e.message);
    fail(`error: ${(e as Error).message}`);
  }
}

export function registerTasks(program: Command): void {
  const tasks = program
    .command('tasks')
    .description("list, inspect, cancel and wait for the key's tasks on a running Reelay")
    .addHelpText(
      'after',
      `
The server and key are those of \`reelay generate\`: --url / REELAY_URL and --key / REELAY_KEY,
else the configured public URL and the master key in the data dir.

Examples:
  reelay tasks list --limit 10
  reelay tasks show 849320160391614464 --json
  reelay tasks cancel 849320160391614464
  reelay tasks wait 849320160391614464 && echo done`,
    );

  tasks
    .command('list')
    .description("the key's tasks, newest first")
    .addOption(new Option('--limit <n>', 'how many (1-500)').default('30'))
    .option('--json', 'print JSON instead of a table', false)
    .addOption(urlOption())
    .addOption(keyOption())
    .addHelpText('after', '\nExamples:\n  reelay tasks list\n  reelay tasks list --limit 5 --json --url http://127.0.0.1:8080 --key rl_...')
    .action(async (opts) => {
      const limit = /^\d{1,3}$/.test(opts.limit) ? Number(opts.limit) : NaN;
      if (!(limit >= 1 && limit <= 500)) fail('--limit must be a whole number between 1 and 500');
      const client = createTasksClient(resolveConnection(opts));
      await orApiFail(async () => {
        const list = await client.list(limit);
        if (opts.json) print(list);
        else console.log(list.length === 0 ? 'no tasks' : table(list));
      });
    });

  tasks
    .command('show')
    .description('one task: status, progress, times, video URLs')
    .argument('<id>', "the task's id (any dialect's, or a Kling external_task_id)")
    .option('--json', 'print JSON', false)
    .addOption(urlOption())
    .addOption(keyOption())
    .addHelpText('after', '\nExamples:\n  reelay tasks show 849320160391614464\n  reelay tasks show my-own-id --json')
    .action(async (id, opts) => {
      const client = createTasksClient(resolveConnection(opts));
      await orApiFail(async () => {
        const task = await client.show(id);
        if (!task) fail(`task ${id} does not exist`);
        console.log(opts.json ? JSON.stringify(task, null, 2) : details(task));
      });
    });

  tasks
    .command('cancel')
    .description('cancel a queued or running task')
    .argument('<id>', "the task's id")
    .option('--json', 'print the task after the cancel as JSON', false)
    .addOption(urlOption())
    .addOption(keyOption())
    .addHelpText('after', '\nExample:\n  reelay tasks cancel 849320160391614464\n\nA running task may take a moment to stop: `reelay tasks wait <id>` follows it to the end.')
    .action(async (id, opts) => {
      const client = createTasksClient(resolveConnection(opts));
      await orApiFail(async () => {
        await client.cancel(id);
        const task = await client.show(id);
        if (opts.json) return print(task);
        const status = task?.status ?? 'canceled';
        console.log(status === 'canceled' ? `task ${id} canceled` : `task ${id}: cancel requested (now ${status})`);
      });
    });

  tasks
    .command('wait')
    .description('follow a task until it ends (exit 0 completed, 1 failed, 3 canceled)')
    .argument('<id>', "the task's id")
    .option('--json', 'print the final task as JSON', false)
    .addOption(urlOption())
    .addOption(keyOption())
    .addHelpText('after', '\nExamples:\n  reelay tasks wait 849320160391614464\n  reelay tasks wait 849320160391614464 --json > task.json || echo "did not complete"')
    .action(async (id, opts) => {
      const client = createTasksClient(resolveConnection(opts));
      const onTty = process.stderr.isTTY === true;
      const bar = new cliProgress.SingleBar(
        { format: `task ${id} [{bar}] {percentage}% {status}`, stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      let final = '';
      await orApiFail(async () => {
        let last = '';
        let barStarted = false;
        // A stream that closes before the end (a restart, a proxy) is opened again; the first event repeats the state.
        for (let attempt = 0; attempt < 20 && !final; attempt++) {
          if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 5000)));
          for await (const event of client.events(id)) {
            const progress = progressOf(event.data) ?? 0;
            if (onTty) {
              if (!barStarted) bar.start(100, progress, { status: event.status });
              else bar.update(progress, { status: event.status });
              barStarted = true;
            } else {
              const line = `task ${id}: ${event.status} ${progress}%`;
              if (line !== last) console.error(line);
              last = line;
            }
            if (isTerminalStatus(event.status)) {
              final = event.status;
              break;
            }
          }
        }
        if (barStarted) bar.stop();
        if (!final) throw new ApiError(`the event stream of task ${id} kept closing before the task ended`);
        const task = await client.show(id);
        if (opts.json) print(task);
        else if (final === 'completed') {
          console.log(`task ${id} completed`);
          for (const v of task?.videos ?? []) console.log(v.url);
        } else console.error(`task ${id} ${final}: ${task?.message || 'no reason given'}`);
      });
      process.exit(WAIT_EXIT[final as keyof typeof WAIT_EXIT] ?? 1);
    });
}
