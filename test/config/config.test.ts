import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { loadServerSecrets } from '../../src/secrets.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('configuration', () => {
  const tmp = tempDir('reelay-config-');
  afterEach(() => undefined);

  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, databaseUrl: null, masterKey: null, publicUrl: 'http://127.0.0.1:8080', publicUrlExplicit: false });
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.file).toEqual({
      models: ['kling-v3', 'kling-v3-turbo'],
      worker: { concurrency: 2, remoteConcurrency: 32, leaseSeconds: 30, pollMilliseconds: 1000, maxAttempts: 5, enabled: true },
      media: { linkTtlSeconds: 86400 },
      events: { keepAliveMilliseconds: 15_000, pollMilliseconds: 2000 },
      webhooks: { leaseSeconds: 30 },
      sqlite: { synchronous: 'FULL' },
      channels: [],
      prices: {},
    });
    expect(c.channels).toEqual([]);
    // Kling's published unit prices (spec §1.12), in credits per second.
    expect(c.prices).toEqual({
      'kling-v3': { std: { per_second: 0.6, per_second_with_audio: 0.9 }, pro: { per_second: 0.8, per_second_with_audio: 1.2 }, '4k': { per_second: 3.0 } },
      'kling-v3-turbo': { std: { per_second: 0.8 }, pro: { per_second: 1.0 } },
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every problem at once and stops', () => {
    const file = path.join(tmp.dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ worker: { concurrency: 0 }, colour: 'blue' }));
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', REELAY_MASTER_KEY: 'short', REELAY_CONFIG: file });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/DATABASE_URL: must start with postgres:\/\//);
    expect(problems).toMatch(/REELAY_MASTER_KEY: must be at least 16 characters/);
    expect(() => loadConfig({ PORT: '' })).toThrow(/PORT: must be a port number/);
  });

  it('refuses a webhook lease the 10 s attempt deadline could outlast', () => {
    const file = path.join(tmp.dir, 'lease.json');
    writeFileSync(file, JSON.stringify({ webhooks: { leaseSeconds: 10 } }));
    expect(() => loadConfig({ REELAY_CONFIG: file })).toThrow(/webhooks\.leaseSeconds/);
    writeFileSync(file, JSON.stringify({ webhooks: { leaseSeconds: 12 } }));
    expect(loadConfig({ REELAY_CONFIG: file }).file.webhooks).toEqual({ leaseSeconds: 12 });
  });

  it('reports a config file problem with the file and the key', () => {
    const file = path.join(tmp.dir, 'bad2.json');
    writeFileSync(file, JSON.stringify({ worker: { concurrency: 0 }, colour: 'blue' }));
    expect(() => loadConfig({ REELAY_CONFIG: file })).toThrow(/bad2\.json: worker\.concurrency/);
    expect(() => loadConfig({ REELAY_CONFIG: file })).toThrow(/colour/);
    expect(() => loadConfig({ REELAY_CONFIG: path.join(tmp.dir, 'missing.json') })).toThrow(/REELAY_CONFIG/);
  });

  it('derives the public URL from HOST and PORT unless REELAY_PUBLIC_URL is set', () => {
    expect(loadConfig({ HOST: '::1', PORT: '9000' }).publicUrl).toBe('http://[::1]:9000');
    const explicit = loadConfig({ REELAY_PUBLIC_URL: 'https://video.example.com/' });
    expect(explicit.publicUrl).toBe('https://video.example.com');
    expect(explicit.publicUrlExplicit).toBe(true);
  });

  it('creates the master key once, mode 0600, and keeps it across starts', () => {
    const dataDir = path.join(tmp.dir, 'data');
    const first = loadServerSecrets(loadConfig({ REELAY_DATA_DIR: dataDir }));
    expect(first.masterKeyCreated).toBe(true);
    expect(first.masterKey).toMatch(/^rlm_[A-Za-z0-9_-]{43}$/);
    expect(statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    const second = loadServerSecrets(loadConfig({ REELAY_DATA_DIR: dataDir }));
    expect(second.masterKeyCreated).toBe(false);
    expect(second.masterKey).toBe(first.masterKey);
    expect(second.linkKey.equals(first.linkKey)).toBe(true);
  });

  it('uses REELAY_MASTER_KEY when set and writes no master key file', () => {
    const dataDir = path.join(tmp.dir, 'data-env');
    const s = loadServerSecrets(loadConfig({ REELAY_DATA_DIR: dataDir, REELAY_MASTER_KEY: 'my-very-own-master-key' }));
    expect(s).toMatchObject({ masterKey: 'my-very-own-master-key', masterKeyFile: null, masterKeyCreated: false });
    expect(() => statSync(path.join(dataDir, 'master.key'))).toThrow();
  });

  const withFile = (name: string, content: object) => {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, JSON.stringify(content));
    return { REELAY_CONFIG: file };
  };

  it('lets a configured model replace its default prices and leaves the other models their own', () => {
    const prices = { 'kling-v3': { std: { per_second: 1, voice_surcharge_per_second: 0.5 } } };
    const c = loadConfig(withFile('prices.json', { prices }));
    expect(c.prices['kling-v3']).toEqual({ std: { per_second: 1, voice_surcharge_per_second: 0.5 } });
    expect(c.prices['kling-v3-turbo']).toEqual({ std: { per_second: 0.8 }, pro: { per_second: 1.0 } });
    expect(c.file.prices).toEqual(prices);
  });

  it('refuses a served model without a price for any tier, naming prices.<model>', () => {
    const cases = [
      { name: 'unpriced-new.json', content: { models: ['kling-v3', 'kling-v4'] }, model: 'kling-v4' },
      { name: 'unpriced-empty.json', content: { prices: { 'kling-v3-turbo': {} } }, model: 'kling-v3-turbo' },
    ];
    for (const { name, content, model } of cases) {
      let error: unknown;
      try {
        loadConfig(withFile(name, content));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringContaining(`${name}: prices.${model}: a served model needs a price for at least one tier`)]);
    }
    // A model nobody serves needs no price.
    expect(() => loadConfig(withFile('unserved.json', { models: ['kling-v3'], prices: { 'kling-v3-turbo': {} } }))).not.toThrow();
  });

  it('refuses a negative price, an unknown tier and an unknown price field', () => {
    const env = withFile('negative.json', { prices: { 'kling-v3': { std: { per_second: -0.1 }, '8k': { per_second: 1 }, pro: { per_second: 1, per_minute: 60 } } } });
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/prices\.kling-v3\.std\.per_second/);
    expect(() => loadConfig(env)).toThrow(/8k/);
    expect(() => loadConfig(env)).toThrow(/per_minute/);
  });
});
