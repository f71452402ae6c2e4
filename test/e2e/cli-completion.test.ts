import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/child-server.ts';
import { tempDir } from '../support/temp-dir.ts';

const TOP_LEVEL = ['serve', 'generate', 'tasks', 'keys', 'usage', 'sim', 'doctor', 'completion'];

const hasBash = (() => {
  try {
    execFileSync('bash', ['-c', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('reelay completion', () => {
  const tmp = tempDir('reelay-completion-');
  let script = '';
  let file = '';
  beforeAll(async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code, r.stderr).toBe(0);
    script = r.stdout;
    file = path.join(tmp.dir, 'reelay.bash');
    writeFileSync(file, script);
  });
  afterAll(() => tmp.remove());

  it('bash prints a script generated from the command tree', () => {
    for (const name of TOP_LEVEL) expect(script).toContain(name);
    expect(script).toMatch(/'reelay tasks list'\) echo '[^']*--json/);
    expect(script).toContain('complete -F');
  });

  it.runIf(hasBash)('the bash script passes bash -n', async () => {
    await expect(promisify(execFile)('bash', ['-n', file])).resolves.toBeDefined();
  });

  it.runIf(hasBash)('completes subcommands and options at each level', async () => {
    const complete = async (words: string[]) => {
      const fn = /complete -F (\S+) reelay/.exec(script)?.[1];
      expect(fn).toBeDefined();
      const quoted = words.map((w) => `'${w}'`).join(' ');
      const { stdout } = await promisify(execFile)('bash', ['-c', `source "$1"; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; ${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', file]);
      return stdout.split('\n').filter(Boolean);
    };
    expect(await complete(['reelay', 'ta'])).toContain('tasks');
    expect(await complete(['reelay', 'tasks', 'l'])).toContain('list');
    expect(await complete(['reelay', 'tasks', 'list', '--j'])).toEqual(['--json']);
  });

  it('zsh prints a script that loads bashcompinit', async () => {
    const r = await runCli(['completion', 'zsh']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('bashcompinit');
    expect(r.stdout).toContain('complete -F');
  });

  it('keys --help shows examples', async () => {
    const r = await runCli(['keys', '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('reelay keys create');
  });
});
