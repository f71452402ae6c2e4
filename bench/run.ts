/**
 * `npm run bench [-- names...] [--seconds N]`: runs the benchmarks (all by default), prints each
 * table, and writes them to docs/benchmarks.md with the date and the machine.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchCreate } from './create.ts';
import { benchEngine } from './engine.ts';
import { benchMedia } from './media.ts';
import { benchPreview } from './preview.ts';
import { benchStatus } from './status.ts';
import { pinning, pinSelfToLoadCore } from './support/pinning.ts';
import { repoRoot } from './support/processes.ts';
import { markdown, type Section } from './support/report.ts';

const argv = process.argv.slice(2);
const secondsAt = argv.indexOf('--seconds');
const seconds = secondsAt >= 0 ? Number(argv[secondsAt + 1]) : 10;
const names = argv.filter((a, i) => !a.startsWith('--') && (secondsAt < 0 || i !== secondsAt + 1));

const benchmarks: Record<string, () => Promise<Section>> = {
  create: () => benchCreate(seconds),
  status: () => benchStatus(seconds),
  media: () => benchMedia(seconds),
  preview: () => benchPreview(seconds),
  engine: () => benchEngine(seconds),
};

// Reelay runs from dist/, as `npm start` runs it: a server under tsx carries the transpiler's
// memory and start-up cost, which no deployment has.
execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });

pinSelfToLoadCore();
const known = Object.keys(benchmarks);
for (const name of names) if (!benchmarks[name]) throw new Error(`no benchmark ${name}; known: ${known.join(', ')}`);
// Always in the table's order, engine last: it lowers this process's priority for good (it shares
// the load core with the simulator), which would slow the load generators of any section after it.
const chosen = names.length > 0 ? known.filter((name) => names.includes(name)) : known;
const sections: Section[] = [];
for (const name of chosen) {
  const run = benchmarks[name] as () => Promise<Section>;
  console.log(`== ${name}`);
  const section = await run();
  console.log(markdown(section), '\n');
  sections.push(section);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmarks',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` on ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}; ${pinning}; ${seconds} s per measurement.`,
  'Each figure is compared with its baseline measured in the same run on the same machine. These are figures, not tests: `npm test` asserts behaviour only.',
  '',
].join('\n');
writeFileSync(path.join(repoRoot, 'docs/benchmarks.md'), `${header}\n${sections.map(markdown).join('\n\n')}\n`);
console.log('written to docs/benchmarks.md');
