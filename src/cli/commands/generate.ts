/** `reelay generate`: create a text2video task, wait with progress, download the MP4. */
import { Option, type Command } from '@commander-js/extra-typings';
import ora from 'ora';
import { ApiError, createApiClient, type KlingTaskView } from '../api-client.ts';
import { downloadTo } from '../download.ts';
import { keyOption, resolveConnection, urlOption } from '../server-connection.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate a video from a prompt and download it')
    .argument('<prompt>', 'what the video shows')
    .option('--duration <seconds>', 'length in whole seconds, 3-15', '5')
    .addOption(new Option('--mode <mode>', 'tier: std 720p, pro 1080p, 4k').choices(['std', 'pro', '4k'] as const).default('std' as const))
    .addOption(new Option('--aspect <ratio>', 'aspect ratio').choices(['16:9', '9:16', '1:1'] as const).default('16:9' as const))
    .option('--sound', 'with an audio track', false)
    .option('--negative <text>', 'what the video must not show')
    .option('--model <name>', 'model name', 'kling-v3')
    .option('--out <file>', 'where to save the MP4 (default: <task id>.mp4)')
    .addOption(urlOption())
    .addOption(keyOption())
    .addHelpText('after', '\nExample:\n  reelay generate "a golden retriever running on a beach" --duration 5 --mode std --aspect 16:9 --sound --out clip.mp4')
    .action(async (prompt, opts) => {
      const { baseUrl, key } = resolveConnection(opts);
      const client = createApiClient(baseUrl, key);
      const spinner = ora({ stream: process.stderr, text: 'submitting' });
      const plain = !process.stderr.isTTY;
      const say = (text: string) => (plain ? console.error(text) : (spinner.text = text));
      try {
        if (!plain) spinner.start();
        const created = await client.createText2Video({
          model_name: opts.model,
          prompt,
          duration: opts.duration,
          mode: opts.mode,
          aspect_ratio: opts.aspect,
          sound: opts.sound ? 'on' : 'off',
          ...(opts.negative ? { negative_prompt: opts.negative } : {}),
        });
        say(`task ${created.task_id} submitted`);
        let task: KlingTaskView = created;
        let last = '';
        while (task.task_status === 'submitted' || task.task_status === 'processing') {
          await sleep(1000);
          task = await client.getText2Video(created.task_id);
          const line = `task ${task.task_id}: ${task.task_status} ${task.reelay?.progress ?? 0}%`;
          if (line !== last) say(line);
          last = line;
        }
        if (task.task_status !== 'succeed') {
          if (!plain) spinner.fail(`task ${task.task_id} ${task.task_status}: ${task.task_status_msg || 'no reason given'}`);
          else console.error(`task ${task.task_id} ${task.task_status}: ${task.task_status_msg || 'no reason given'}`);
          process.exit(1);
        }
        if (!plain) spinner.succeed(`task ${task.task_id} succeeded`);
        const video = task.task_result?.videos[0];
        if (!video) throw new ApiError('the task succeeded but lists no video');
        const out = opts.out ?? `${task.task_id}.mp4`;
        const bytes = await downloadTo(video.url, out);
        console.log(`saved ${out} (${bytes} bytes, ${video.duration} s)`);
      } catch (e) {
        if (!plain) spinner.stop();
        console.error(e instanceof ApiError ? e.message : `error: ${(e as Error).message}`);
        process.exit(1);
      }
    });
}
