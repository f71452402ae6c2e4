/** `reelay serve`: start the gateway (what `npm start` runs). */
import type { Command } from '@commander-js/extra-typings';
import { startServer } from '../../server.ts';
import { loadConfigOrExit } from '../load-config-or-exit.ts';
import { closeOnSignals } from '../close-on-signals.ts';
import { limitHeapGrowth } from '../heap-growth.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the API and run the worker (configured by environment, see README)')
    .addHelpText('after', '\nExample:\n  PORT=8080 REELAY_DATA_DIR=./data reelay serve')
    .action(async () => {
      limitHeapGrowth();
      const config = loadConfigOrExit();
      const server = await startServer(config);
      const { masterKeyFile, masterKeyCreated } = server.secrets;
      console.log(`Reelay is serving on ${server.url} (database: ${server.db.kind}, ffmpeg: ${server.ffmpeg.source})`);
      if (masterKeyFile) {
        console.log(`Master key ${masterKeyCreated ? 'created in' : 'is in'} ${masterKeyFile} (mode 0600). Use it with:`);
        console.log(`  export KEY=$(cat ${masterKeyFile})`);
      } else {
        console.log('Master key: the value of REELAY_MASTER_KEY.');
      }
      closeOnSignals((signal) => console.log(`${signal}: draining HTTP and handing running tasks back...`), () => server.close());
    });
}
