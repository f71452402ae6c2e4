import { openDatabase } from '/work/main/src/store/database.ts';
import { migrateToLatest } from '/work/main/src/store/migrations.ts';
import { createGroupCommit } from '/work/main/src/store/group-commit.ts';
import { mkdtempSync } from 'node:fs';
const dir = mkdtempSync('/tmp/gcb-');
const db = openDatabase({ url: null, dataDir: dir });
await migrateToLatest(db);
const run = createGroupCommit(db.kysely, 'sqlite');
let n = 0;
const t0 = performance.now();
const lat: number[] = [];
await Promise.all(Array.from({ length: 50 }, async (_, c) => {
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    await run(async (trx) => { await trx.insertInto('ledger').values({ id: `${c}-${i}`, key_id: 'k', task_id: `t${c}-${i}`, entry: 'hold', micros: 1, model: 'm', tier: 'std', outcome: null, created_at: 1 } as never).execute(); });
    lat.push(performance.now() - s); n++;
  }
}));
const ms = performance.now() - t0;
lat.sort((a, b) => a - b);
console.log(`${n} units in ${ms.toFixed(0)} ms: ${(n / ms * 1000).toFixed(0)}/s, p50 ${lat[lat.length >> 1].toFixed(2)} p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(2)}`);
await db.close();
