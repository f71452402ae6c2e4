/** `reelay sim`: run the Kling simulator (tools/kling-sim) as a standalone server for demos and manual tests. */
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import { resolveFfmpegBinaries } from '../../media/ffmpeg-binaries.ts';
import {
  channelConfig,
  parseErrorRates,
  parseLatency,
  parseNonNegativeInteger,
  parsePort,
  parsePositiveInteger,
  parseRate,
} from '../../../tools/kling-sim/sim-options.ts';
import { startKlingSim, type SimFaults } from '../../../tools/kling-sim/sim-server.ts';
import { closeOnSignals } from '../close-on-signals.ts';

/** Commander shows an InvalidArgumentError as "option '--x' argument 'y' is invalid. <why>". */
function arg<T, P extends unknown[]>(parse: (value: string, ...rest: P) => T) {
  return (value: string, ...rest: P): T => {
    try {
      return parse(value, ...rest);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

const opt = <Flags extends string>(flags: Flags, description: string, env: string) => new Option(flags, description).env(`KLING_SIM_${env}`);

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('run a simulator of the official Kling API (JWT auth, task lifecycle, callbacks, real MP4 results, fault injection)')
    .addOption(opt('--host <host>', 'address to listen on', 'HOST').default('127.0.0.1'))
    .addOption(opt('--port <port>', 'port to listen on (0 = any free port)', 'PORT').argParser(arg(parsePort)).default(8090))
    .addOption(opt('--access-key <key>', 'the access key clients sign their JWT with (iss)', 'ACCESS_KEY').default('sim-access-key'))
    .addOption(opt('--secret-key <key>', 'the secret key that signs the JWT (HS256)', 'SECRET_KEY').default('sim-secret-key'))
    .addOption(opt('--concurrency <n>', 'tasks the account may hold at once (submitted or processing)', 'CONCURRENCY').argParser(arg(parsePositiveInteger)).default(5))
    .addOption(opt('--submitted-ms <ms>', 'how long a task stays submitted', 'SUBMITTED_MS').argParser(arg(parseNonNegativeInteger)).default(1000))
    .addOption(opt('--processing-ms <ms>', 'how long a task stays processing', 'PROCESSING_MS').argParser(arg(parseNonNegativeInteger)).default(5000))
    .addOption(
      opt('--error-rate <code=rate...>', 'answer a Kling error code with this probability, on create and query (e.g. 5000=0.1 1303=0.05)', 'ERROR_RATE').argParser(
        arg((value: string, previous: Partial<Record<number, number>> | undefined) => parseErrorRates(value, previous)),
      ),
    )
    .addOption(opt('--latency-ms <min-max>', 'added latency per request, uniform in [min, max] ms', 'LATENCY_MS').argParser(arg(parseLatency)))
    .addOption(opt('--drop-rate <rate>', 'probability that an accepted create gets no answer (socket dropped)', 'DROP_RATE').argParser(arg(parseRate)))
    .addOption(opt('--lost-callback-rate <rate>', 'probability that a callback is not sent', 'LOST_CALLBACK_RATE').argParser(arg(parseRate)))
    .addOption(opt('--failure-rate <rate>', 'probability that a task ends failed', 'FAILURE_RATE').argParser(arg(parseRate)))
    .addOption(opt('--url-ttl <seconds>', 'lifetime of result URLs (default 30 days)', 'URL_TTL').argParser(arg(parseNonNegativeInteger)))
    .addOption(opt('--seed <n>', 'seed of the fault dice, for repeatable runs', 'SEED').argParser(arg(parseNonNegativeInteger)))
    .addOption(opt('--work-dir <dir>', 'where rendered MP4s are cached', 'WORK_DIR').default(path.join(os.tmpdir(), 'reelay-kling-sim')))
    .addOption(opt('--quiet', "do not log each task's status changes", 'QUIET'))
    .addOption(opt('--record-arrivals', 'keep every request\'s arrival time and the simulator\'s own pauses, served at GET /_sim/arrivals and /_sim/stalls (grows with every request)', 'RECORD_ARRIVALS'))
    .addOption(new Option('--ffmpeg <path>', 'ffmpeg binary (default: on PATH, else the bundled one)').env('FFMPEG_PATH'))
    .addHelpText('after', '\nEvery option can also be set as KLING_SIM_<NAME>, e.g. KLING_SIM_PORT=8090 KLING_SIM_ERROR_RATE=5000=0.1,1303=0.05\n\nExample:\n  reelay sim --port 8090 --processing-ms 3000 --error-rate 5000=0.05 --drop-rate 0.02')
    .action(async (opts) => {
      const faults: SimFaults = {};
      if (opts.errorRate) faults.createErrors = faults.queryErrors = opts.errorRate;
      if (opts.latencyMs) faults.latencyMs = opts.latencyMs;
      if (opts.dropRate !== undefined) faults.dropAfterAcceptRate = opts.dropRate;
      if (opts.lostCallbackRate !== undefined) faults.lostCallbackRate = opts.lostCallbackRate;
      if (opts.failureRate !== undefined) faults.taskFailureRate = opts.failureRate;
      if (opts.urlTtl !== undefined) faults.urlTtlSeconds = opts.urlTtl;
      const schedule = { submittedMs: opts.submittedMs, processingMs: opts.processingMs };
      const account = { accessKey: opts.accessKey, secretKey: opts.secretKey, concurrency: opts.concurrency };
      let ffmpeg: string;
      try {
        ffmpeg = resolveFfmpegBinaries({ ffmpegPath: opts.ffmpeg ?? null, ffprobePath: null }).ffmpeg;
      } catch (e) {
        console.error((e as Error).message);
        process.exit(2);
      }
      const sim = await startKlingSim({
        host: opts.host,
        port: opts.port,
        accounts: [account],
        schedule,
        faults,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ffmpeg,
        workDir: opts.workDir,
        recordArrivals: opts.recordArrivals === true,
        log: opts.quiet ? () => {} : (line) => console.error(line),
      });
      console.log(`Kling simulator listening on ${sim.url}`);
      console.log(`Stats: GET ${sim.url}/_sim/stats   Tasks: GET ${sim.url}/_sim/tasks   Faults: PUT ${sim.url}/_sim/faults`);
      console.log('Reelay channel config (put it in the file REELAY_CONFIG names):');
      console.log(JSON.stringify(channelConfig({ url: sim.url, ...account, schedule }), null, 2));
      closeOnSignals((signal) => console.error(`${signal}: stopping the simulator`), () => sim.close());
    });
}
