/** Runs a TypeScript script in its own process pinned to `core`, hands it `input` as JSON in argv[2], and parses the JSON it prints. */
import { spawn } from 'node:child_process';
import { pinned } from './pinning.ts';

export function runPinnedJson<T>(core: number, script: string, input: unknown, what: string): Promise<T> {
  const { command, args } = pinned(core, process.execPath, ['--import', 'tsx', script, JSON.stringify(input)]);
  return new Promise<T>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${what} exited ${code}: ${stderr}`));
      try {
        resolve(JSON.parse(stdout) as T);
      } catch (e) {
        reject(new Error(`${what} printed no JSON: ${stdout.slice(0, 500)}`, { cause: e }));
      }
    });
  });
}
