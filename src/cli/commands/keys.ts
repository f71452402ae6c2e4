/** `reelay keys create|update|list|revoke`: the same as the /admin/keys API, straight on the database. */
import type { Command } from '@commander-js/extra-typings';
import type { Config } from '../../config.ts';
import { renderKey } from '../../http/key-limits-body.ts';
import { loadServerSecrets } from '../../secrets.ts';
import { createApiKeyStore, type ApiKeyStore } from '../../store/api-keys.ts';
import { fail } from '../fail.ts';
import { addLimitOptions, checkLimitOptions, type CheckedOptions, type LimitOptions } from '../key-limit-options.ts';
import { loadConfigOrExit } from '../load-config-or-exit.ts';
import { withDatabase } from '../with-database.ts';

function withKeys<T>(config: Config, work: (keys: ApiKeyStore) => Promise<T>): Promise<T> {
  const secrets = loadServerSecrets(config);
  return withDatabase(config, (db) => work(createApiKeyStore(db, secrets.encryptionKey)));
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

/** The config and the checked options, or the problems on stderr and exit 1. */
function checked(options: LimitOptions): { config: Config } & CheckedOptions {
  const config = loadConfigOrExit();
  const result = checkLimitOptions(options, config);
  if ('problems' in result) fail(...result.problems);
  return { config, ...result };
}

const LIMITS_HELP = `
Limits are optional; "unlimited" clears one ("all" for --models, "never" for --expires-at,
"none" for --webhook-url). --models takes only models this server serves.`;

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('manage API keys (prints JSON)')
    .addHelpText(
      'after',
      `
Examples:
  reelay keys create --name my-app --budget 100 --rpm 60
  reelay keys update key_abc --budget 250 --rpm unlimited
  reelay keys list
  reelay keys revoke key_abc`,
    );
  addLimitOptions(
    keys
      .command('create')
      .description('create a key; its key, secret_key and webhook_secret are shown only this once')
      .requiredOption('--name <name>', 'a name to tell the key apart'),
  )
    .addHelpText('after', `${LIMITS_HELP}\n\nExamples:\n  reelay keys create --name my-app\n  reelay keys create --name trial --budget 100 --rpm 10 --max-concurrency 2 --models kling-v3 --expires-at 2027-01-01T00:00:00Z`)
    .action(async (opts) => {
      const { config, limits, webhookUrl } = checked(opts);
      print(
        await withKeys(config, async (k) => {
          const created = await k.create(opts.name, limits);
          if (webhookUrl) await k.setWebhookUrl(created.id, webhookUrl);
          const info = await k.get(created.id);
          return { ...(info ? renderKey(info) : {}), ...created };
        }),
      );
    });
  addLimitOptions(keys.command('update').description("change a key's limits or default webhook URL; options left out stay as they are").argument('<id>', 'the key id (key_...)'))
    .addHelpText('after', `${LIMITS_HELP}\n\nExamples:\n  reelay keys update key_abc --budget 250 --rpm unlimited\n  reelay keys update key_abc --models all --expires-at never`)
    .action(async (id, opts) => {
      const { config, limits, webhookUrl } = checked(opts);
      if (Object.keys(limits).length === 0 && webhookUrl === undefined) {
        fail('give at least one of --budget, --rpm, --max-concurrency, --models, --expires-at, --webhook-url');
      }
      const info = await withKeys(config, async (k) => {
        if (!(await k.setLimits(id, limits))) return null;
        if (webhookUrl !== undefined && !(await k.setWebhookUrl(id, webhookUrl))) return null;
        return k.get(id);
      });
      if (!info) fail(`key ${id} does not exist or is revoked`);
      print(renderKey(info));
    });
  keys
    .command('list')
    .description('list keys with their limits and spend (never their secrets)')
    .addHelpText('after', '\nExample:\n  reelay keys list')
    .action(async () => print((await withKeys(loadConfigOrExit(), (k) => k.list())).map(renderKey)));
  keys
    .command('revoke')
    .description('revoke a key by id')
    .argument('<id>', 'the key id (key_...)')
    .addHelpText('after', '\nExample:\n  reelay keys revoke key_abc')
    .action(async (id) => {
      const revoked = await withKeys(loadConfigOrExit(), (k) => k.revoke(id));
      print({ id, revoked });
      if (!revoked) {
        console.error(`key ${id} does not exist or is already revoked`);
        process.exitCode = 1;
      }
    });
}
