/** `reelay usage`: the ledger summed per day, key, model and tier, straight from the database (like GET /admin/usage). */
import type { Command } from '@commander-js/extra-typings';
import { createUsageReport } from '../../billing/usage.ts';
import { parseUsageWindow } from '../../billing/usage-window.ts';
import { orFail } from '../fail.ts';
import { loadConfigOrExit } from '../load-config-or-exit.ts';
import { usageTable } from '../usage-table.ts';
import { withDatabase } from '../with-database.ts';

export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description('credits held, captured and released, and tasks by outcome, per UTC day, key, model and tier')
    .option('--key <id>', 'one key only (key_..., or "master" for the master key\'s tasks)')
    .option('--from <time>', 'start, inclusive: an RFC 3339 date-time or a date (UTC midnight); default: 30 days before --to')
    .option('--to <time>', 'end, exclusive: an RFC 3339 date-time or a date (UTC midnight); default: now')
    .option('--json', 'print JSON (as GET /admin/usage answers) instead of a table', false)
    .addHelpText('after', '\nExamples:\n  reelay usage\n  reelay usage --key key_abc --from 2026-11-01 --to 2026-12-01\n  reelay usage --from 2026-11-20T12:00:00Z --json')
    .action(async (opts) => {
      const config = loadConfigOrExit();
      const window = await orFail(async () => parseUsageWindow({ from: opts.from, to: opts.to }, Date.now()));
      const key = opts.key || null;
      const report = await withDatabase(config, (db) => createUsageReport(db)({ ...window, ...(key === null ? {} : { keyId: key }) }));
      const answer = { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), key, ...report };
      console.log(opts.json ? JSON.stringify(answer, null, 2) : usageTable(answer));
    });
}
