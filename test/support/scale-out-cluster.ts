/**
 * For test/e2e/scale-out.test.ts: N Reelay processes (`reelay serve` children, so one can be
 * killed for real) on one PostgreSQL schema and one S3 server, sharing the master key and the
 * server secret (media links, callback tokens and API-key secrets made on one verify on another),
 * each with its own data dir and port and no REELAY_PUBLIC_URL, so every instance hands out links
 * to itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { freePort, killHard, startChildServer, type ChildServer } from './child-server.ts';
import { createPgSchema } from './databases.ts';
import type { TestS3Server } from './s3-server.ts';

export type Instance = {
  name: string;
  url: string;
  env: Record<string, string>;
  /** null while the process is down. */
  child: ChildServer | null;
};

export type Cluster = {
  instances: Instance[];
  masterKey: string;
  /** The shared schema, for the test's own reads. */
  db: Db;
  /** The instances whose process is up. */
  live(): Instance[];
  /** SIGKILL (no drain, no lease hand-back); resolves once the process is gone. */
  kill(instance: Instance): Promise<void>;
  /** Starts the instance again with the same environment (port, data dir). */
  restart(instance: Instance): Promise<void>;
  stop(): Promise<void>;
};

export async function startCluster(options: { count: number; postgresUrl: string; s3: TestS3Server; dir: string; configFile: object; env?: Record<string, string> }): Promise<Cluster> {
  const { schema } = await createPgSchema(options.postgresUrl);
  const database = new URL(options.postgresUrl);
  database.searchParams.set('options', `-c search_path=${schema}`);
  const masterKey = `rlm_${randomBytes(32).toString('base64url')}`;
  const secret = randomBytes(32).toString('base64url');
  const config = path.join(options.dir, 'config.json');
  writeFileSync(config, JSON.stringify(options.configFile));
  const shared = {
    DATABASE_URL: database.toString(),
    REELAY_CONFIG: config,
    REELAY_MASTER_KEY: masterKey,
    REELAY_SECRET: secret,
    ...options.s3.env(),
    REELAY_S3_REGION: 'us-east-1',
    REELAY_S3_FORCE_PATH_STYLE: 'true',
    ...options.env,
  };
  const instances: Instance[] = [];
  for (let i = 0; i < options.count; i++) {
    const dataDir = path.join(options.dir, `instance-${i}`);
    mkdirSync(dataDir);
    const port = await freePort();
    instances.push({ name: `i${i}`, url: `http://127.0.0.1:${port}`, env: { ...shared, PORT: String(port), REELAY_DATA_DIR: dataDir }, child: null });
  }
  // All at once: the migrations must be safe when several instances start together.
  await Promise.all(instances.map(async (inst) => (inst.child = await startChildServer(inst.env, 60_000))));
  const db = openDatabase({ url: options.postgresUrl, dataDir: '', pgSchema: schema });
  return {
    instances,
    masterKey,
    db,
    live: () => instances.filter((i) => i.child !== null),
    async kill(instance) {
      const child = instance.child;
      instance.child = null;
      // killHard also returns for a process already ended by a signal (its exitCode stays null, signalCode is set).
      if (child) await killHard(child.process);
    },
    async restart(instance) {
      instance.child = await startChildServer(instance.env, 60_000);
    },
    async stop() {
      await Promise.allSettled(instances.map(async (i) => i.child && (await killHard(i.child.process))));
      await db.close();
    },
  };
}
