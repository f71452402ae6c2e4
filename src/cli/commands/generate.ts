/**
 * `reelay generate`: create a text2video task (or image2video with --image), wait with progress,
 * download the MP4. `--shots` makes it multi-shot; `--json` prints one object at the end.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from '@commander-js/extra-typings';
import ora from 'ora';
import { ApiError, createApiClient, type KlingTaskView } from '../api-client.ts';
import { downloadTo } from '../download.ts';
import { fail } from '../fail.ts';
import {
  DEFAULT_DURATION,
  GenerateInputError,
  buildGenerateRequest,
  frameBase64,
  isHttpUrl,
  parseShotsFile,
  type GenerateRequest,
} from '../generate-request.ts';
import { keyOption, resolveConnection, urlOption } from '../server-connection.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

const EXAMPLES = `
Examples:
  # text to video, saved as clip.mp4
  reelay generate "a golden retriever running on a beach" --duration 5 --mode std --aspect 16:9 --sound --out clip.mp4

  # multi-shot: shots.json is [{"prompt": "a door creaks open", "duration": 2}, {"prompt": "a cat walks in", "duration": 3}]
  # (--duration defaults to the shots' sum; given, it must equal it)
  reelay generate --shots shots.json --out story.mp4

  # image to video: a local JPEG/PNG is sent as base64, an http(s) URL as is
  reelay generate "the balloon rises" --image first.png --image-tail https://example.com/last.png

  # for scripts: one JSON object on stdout {task_id, kind, status, model, duration, video: {url, duration_seconds, file, bytes}}
  reelay generate "a city at night" --duration 3 --json > result.json || echo "did not complete"`;

/** What the file at `file` holds; a read failure is the user's input error, not a crash. */
function readInput(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new GenerateInputError(`${option} ${file}: cannot read it (${why})`);
  }
}

/** An http(s) URL as is; anything else a local image file, sent as raw base64. */
function frameOf(option: string, value: string | undefined): string | undefined {
  if (value === undefined || isHttpUrl(value)) return value;
  return frameBase64(readInput(option, value), `${option} ${value}`);
}

/** Kling's status words -> the Reelay words `reelay tasks --json` uses. */
function reelayStatus(task: KlingTaskView): 'completed' | 'failed' | 'canceled' {
  if (task.task_status === 'succeed') return 'completed';
  return task.task_status_msg === 'the task was canceled' ? 'canceled' : 'failed';
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate a video from a prompt, a shots file or an image, and download it')
    .argument('[prompt]', 'what the video shows (optional with --shots or --image)')
    .option('--duration <seconds>', `length in whole seconds, 3-15 (default: ${DEFAULT_DURATION}, or the sum of the --shots)`)
    .addOption(new Option('--mode <mode>', 'tier: std 720p, pro 1080p, 4k').choices(['std', 'pro', '4k'] as const).default('std' as const))
    .addOption(new Option('--aspect <ratio>', 'aspect ratio').choices(['16:9', '9:16', '1:1'] as const).default('16:9' as const))
    .option('--sound', 'with an audio track', false)
    .option('--negative <text>', 'what the video must not show')
    .option('--shots <file>', 'multi-shot: a JSON file of 1-6 shots, [{"prompt": "...", "duration": 2}, ...]')
    .option('--image <file-or-url>', 'image to video: the first frame, an http(s) URL or a local JPEG/PNG')
    .option('--image-tail <file-or-url>', 'image to video: the last frame, an http(s) URL or a local JPEG/PNG')
    .option('--model <name>', 'model name', 'kling-v3')
    .option('--out <file>', 'where to save the MP4 (default: <task id>.mp4)')
    .option('--json', 'print one JSON object at the end (progress stays on stderr)', false)
    .addOption(urlOption())
    .addOption(keyOption())
    .addHelpText('after', EXAMPLES)
    .action(async (prompt, opts) => {
      let request: GenerateRequest;
      try {
        request = buildGenerateRequest({
          prompt,
          duration: opts.duration,
          mode: opts.mode,
          aspect: opts.aspect,
          sound: opts.sound,
          negative: opts.negative,
          model: opts.model,
          shots: opts.shots === undefined ? undefined : parseShotsFile(readInput('--shots', opts.shots).toString('utf8'), opts.shots),
          image: frameOf('--image', opts.image),
          imageTail: frameOf('--image-tail', opts.imageTail),
        });
      } catch (e) {
        if (e instanceof GenerateInputError) fail(`error: ${e.message}`);
        throw e;
      }
      const { kind, body } = request;
      const { baseUrl, key } = resolveConnection(opts);
      const client = createApiClient(baseUrl, key);
      const spinner = ora({ stream: process.stderr, text: 'submitting' });
      const plain = !process.stderr.isTTY;
      const say = (text: string) => (plain ? console.error(text) : (spinner.text = text));
      try {
        if (!plain) spinner.start();
        const created = await client.create(kind, body);
        say(`task ${created.task_id} submitted`);
        let task: KlingTaskView = created;
        let last = '';
        while (task.task_status === 'submitted' || task.task_status === 'processing') {
          await sleep(1000);
          task = await client.get(kind, created.task_id);
          const line = `task ${task.task_id}: ${task.task_status} ${task.reelay?.progress ?? 0}%`;
          if (line !== last) say(line);
          last = line;
        }
        const summary = { task_id: task.task_id, kind, status: reelayStatus(task), model: opts.model, duration: Number(body.duration) };
        if (task.task_status !== 'succeed') {
          const reason = `task ${task.task_id} ${task.task_status}: ${task.task_status_msg || 'no reason given'}`;
          if (!plain) spinner.fail(reason);
          else console.error(reason);
          if (opts.json) print({ ...summary, message: task.task_status_msg || 'no reason given', video: null });
          process.exit(1);
        }
        if (!plain) spinner.succeed(`task ${task.task_id} succeeded`);
        const video = task.task_result?.videos[0];
        if (!video) throw new ApiError('the task succeeded but lists no video');
        const out = opts.out ?? `${task.task_id}.mp4`;
        const bytes = await downloadTo(video.url, out);
        if (opts.json) print({ ...summary, video: { url: video.url, duration_seconds: Number(video.duration), file: path.resolve(out), bytes } });
        else console.log(`saved ${out} (${bytes} bytes, ${video.duration} s)`);
      } catch (e) {
        if (!plain) spinner.stop();
        console.error(e instanceof ApiError ? e.message : `error: ${(e as Error).message}`);
        process.exit(1);
      }
    });
}
