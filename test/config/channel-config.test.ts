import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, KLING_DEFAULT_BASE_URL, loadConfig } from '../../src/config.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('channel configuration', () => {
  const tmp = tempDir('reelay-channels-');
  const load = (file: object, env: Record<string, string> = {}) => {
    const p = path.join(tmp.dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(file));
    return loadConfig({ REELAY_CONFIG: p, ...env });
  };
  const problemsOf = (file: object, env: Record<string, string> = {}): string[] => {
    try {
      load(file, env);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it('reads the issue example and fills the documented defaults', () => {
    const c = load({
      channels: [
        { name: 'kling-main', provider: 'kling', access_key: 'ak', secret_key: 'sk', models: { 'kling-v3': 'kling-v3' }, priority: 0, weight: 1, max_concurrency: 5 },
      ],
    });
    expect(c.channels).toEqual([
      {
        name: 'kling-main',
        provider: 'kling',
        baseUrl: KLING_DEFAULT_BASE_URL,
        accessKey: 'ak',
        secretKey: 'sk',
        apiKey: null,
        models: { 'kling-v3': 'kling-v3' },
        priority: 0,
        weight: 1,
        maxConcurrency: 5,
        requestsPerSecond: 10,
        timeoutMs: 30_000,
        expectedRenderMs: 120_000,
        pollIntervalMs: 10_000,
        maxPollIntervalMs: 120_000,
        taskTimeoutMs: 7_200_000,
        callbacks: false,
      },
    ]);
    expect(KLING_DEFAULT_BASE_URL).toBe('https://api-singapore.klingai.com');
  });

  it('reads secrets given as {"env": NAME} from the environment, and asks for callbacks when the public URL is set', () => {
    const c = load(
      { channels: [{ name: 'evo', provider: 'evolink', base_url: 'https://api.evolink.ai/', api_key: { env: 'EVO_KEY' } }] },
      { EVO_KEY: 'sk-live-123', REELAY_PUBLIC_URL: 'https://reelay.example.com' },
    );
    expect(c.channels[0]).toMatchObject({ apiKey: 'sk-live-123', baseUrl: 'https://api.evolink.ai', callbacks: true, models: null });
  });

  it('lists every channel problem at once', () => {
    const problems = problemsOf({
      channels: [
        { name: 'a', provider: 'kling', access_key: { env: 'MISSING_AK' } },
        { name: 'a', provider: 'evolink' },
        { name: 'preview', provider: 'novita', base_url: 'https://x', api_key: 'k', models: { 'kling-v9': 'x' } },
      ],
    });
    const text = problems.join('\n');
    expect(text).toContain('channels.0.secret_key: is required for a kling channel');
    expect(text).toContain('channels.1.name: channel name a is used twice');
    expect(text).toContain('channels.1.api_key: is required for a evolink channel');
    expect(text).toContain('channels.1.base_url: is required for a evolink channel');
    expect(text).toContain('channels.2.name: preview is reserved');
    expect(text).toContain('channels.2.models.kling-v9: is not a served model');
  });

  it('refuses a wrong shape with the field and the rule', () => {
    const text = problemsOf({ channels: [{ name: 'a', provider: 'novita', base_url: 'ftp://x', api_key: 'k' }, { name: 'b', provider: 'sora', api_key: 'k' }] }).join('\n');
    expect(text).toContain('channels.0.base_url: must be an http(s) URL');
    expect(text).toContain('channels.1.provider');
  });

  it('names an unset environment variable', () => {
    const problems = problemsOf({ channels: [{ name: 'k', provider: 'kling', access_key: { env: 'NO_SUCH_AK' }, secret_key: 'sk' }] });
    expect(problems).toEqual(['channels.0.access_key: environment variable NO_SUCH_AK is not set']);
  });
});
