/** `reelay keys create|list|revoke`: the same as the /admin/keys API, straight on the database. */
import type { Command } from '@commander-js/extra-typings';
import { renderKey } from '../../http/key-limits-body.ts';
import { loadServerSecrets } from '../../secrets.ts';
import { createApiKeyStore, type ApiKeyStore } from '../../store/api-keys.ts';
import { openDatabase } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrations.ts';
import { loadConfigOrExit } from '../load-config-or-exit.ts';

async function withKeys<T>(work: (keys: ApiKeyStore) => Promise<T>): Promise<T> {
  const config = loadConfigOrExit();
  const secrets = loadServerSecrets(config);
  const db = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(db);
    return await work(createApiKeyStore(db.kysely, secrets.encryptionKey));
  } finally {
    await db.close();
  }
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys (prints JSON)');
  keys
    .command('create')
    .description('create a key; its key, secret_key and webhook_secret are shown only this once')
    .requiredOption('--name <name>', 'a name to tell the key apart')
    .addHelpText('after', '\nExample:\n  reelay keys create --name my-app')
    .action(async (opts) => print(await withKeys((k) => k.create(opts.name))));
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .action(async () => print((await withKeys((k) => k.list())).map(renderKey)));
  keys
    .command('revoke')
    .description('revoke a key by id')
    .argument('<id>', 'the key id (key_...)')
    .action(async (id) => {
      const revoked = await withKeys((k) => k.revoke(id));
      print({ id, revoked });
      if (!revoked) {
        console.error(`key ${id} does not exist or is already revoked`);
        process.exitCode = 1;
      }
    });
}
