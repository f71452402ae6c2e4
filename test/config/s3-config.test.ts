/** REELAY_S3_*: S3-compatible media storage settings. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('S3 config', () => {
  it('is null without a bucket (media on the local disk)', () => {
    expect(loadConfig({}).s3).toBeNull();
  });

  it('reads an endpoint and bucket, path style by default with an endpoint', () => {
    expect(loadConfig({ REELAY_S3_ENDPOINT: 'http://127.0.0.1:9000/', REELAY_S3_BUCKET: 'videos' }).s3).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      publicEndpoint: null,
      bucket: 'videos',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: null,
    });
    expect(loadConfig({ REELAY_S3_BUCKET: 'videos', REELAY_S3_REGION: 'eu-west-1' }).s3).toMatchObject({ endpoint: null, region: 'eu-west-1', forcePathStyle: false });
    expect(loadConfig({ REELAY_S3_ENDPOINT: 'https://s3.example.com', REELAY_S3_BUCKET: 'videos', REELAY_S3_FORCE_PATH_STYLE: 'false' }).s3?.forcePathStyle).toBe(false);
    expect(loadConfig({ REELAY_S3_ENDPOINT: 'http://minio:9000', REELAY_S3_PUBLIC_ENDPOINT: 'https://media.example.com/', REELAY_S3_BUCKET: 'videos' }).s3).toMatchObject({
      endpoint: 'http://minio:9000',
      publicEndpoint: 'https://media.example.com',
    });
    expect(loadConfig({ REELAY_S3_BUCKET: 'videos', REELAY_S3_ACCESS_KEY_ID: 'ak', REELAY_S3_SECRET_ACCESS_KEY: 'sk' }).s3?.credentials).toEqual({ accessKeyId: 'ak', secretAccessKey: 'sk' });
  });

  it('names each bad value', () => {
    expect(problemsOf({ REELAY_S3_ENDPOINT: 'ftp://x', REELAY_S3_BUCKET: 'videos' })).toEqual([expect.stringMatching(/^REELAY_S3_ENDPOINT: must be an http\(s\) URL/)]);
    expect(problemsOf({ REELAY_S3_PUBLIC_ENDPOINT: 'media.example.com', REELAY_S3_BUCKET: 'videos' })).toEqual([expect.stringMatching(/^REELAY_S3_PUBLIC_ENDPOINT: must be an http\(s\) URL/)]);
    for (const bucket of ['ab', 'Videos', '-videos', 'vid..eos', '192.168.1.1', 'a'.repeat(64)]) {
      expect(problemsOf({ REELAY_S3_BUCKET: bucket }), bucket).toEqual([expect.stringMatching(/^REELAY_S3_BUCKET: must be a bucket name/)]);
    }
    expect(problemsOf({ REELAY_S3_BUCKET: 'videos', REELAY_S3_FORCE_PATH_STYLE: 'yes' })).toEqual(['REELAY_S3_FORCE_PATH_STYLE: must be true or false']);
    expect(problemsOf({ REELAY_S3_ENDPOINT: 'http://127.0.0.1:9000' })).toEqual(['REELAY_S3_BUCKET: is required when REELAY_S3_ENDPOINT is set']);
    expect(problemsOf({ REELAY_S3_BUCKET: 'videos', REELAY_S3_ACCESS_KEY_ID: 'ak' })).toEqual([expect.stringMatching(/set both or neither/)]);
  });
});
