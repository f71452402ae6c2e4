/** An S3 server in this process (s3rver on 127.0.0.1, a random port, a temp folder) with one bucket. */
import S3rver from 's3rver';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/media/s3-storage.ts';
import { tempDir } from './temp-dir.ts';

export type TestS3Server = {
  endpoint: string;
  bucket: string;
  /** s3rver's fixed credentials. */
  accessKeyId: string;
  secretAccessKey: string;
  /** A client for the server (path style, s3rver's credentials). */
  client(): S3Client;
  /** The environment that points a Reelay at this server. */
  env(): Record<string, string>;
  stop(): Promise<void>;
};

export async function startS3Server(bucket = 'reelay-test'): Promise<TestS3Server> {
  const dir = tempDir('reelay-s3-');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir.dir, configureBuckets: [{ name: bucket }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const clients: S3Client[] = [];
  return {
    endpoint,
    bucket,
    ...credentials,
    client() {
      const c = createS3Client({ endpoint, bucket, region: 'us-east-1', forcePathStyle: true, credentials });
      clients.push(c);
      return c;
    },
    env: () => ({ REELAY_S3_ENDPOINT: endpoint, REELAY_S3_BUCKET: bucket, REELAY_S3_ACCESS_KEY_ID: credentials.accessKeyId, REELAY_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey }),
    async stop() {
      for (const c of clients) c.destroy();
      await server.close();
      dir.remove();
    },
  };
}
