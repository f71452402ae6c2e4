#!/usr/bin/env node
/** `reelay`: thin argv parsing; every command body lives in commands/. */
import { Command } from '@commander-js/extra-typings';
import { registerCompletion } from './commands/completion.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerKeys } from './commands/keys.ts';
import { registerServe } from './commands/serve.ts';
import { registerSim } from './commands/sim.ts';
import { registerTasks } from './commands/tasks.ts';
import { registerUsage } from './commands/usage.ts';

const program = new Command()
  .name('reelay')
  .description('Self-hosted gateway for Kling v3 video generation')
  .version('0.1.0')
  .showHelpAfterError();

registerServe(program);
registerGenerate(program);
registerTasks(program);
registerKeys(program);
registerUsage(program);
registerSim(program);
registerDoctor(program);
registerCompletion(program);

await program.parseAsync(process.argv);
