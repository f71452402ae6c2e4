/** A real Reelay on S3 (s3rver in this process): videos go to the bucket, media links redirect to presigned GETs. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkSigner } from '../../src/media/signed-links.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { startTestServer, waitForKlingTask, type TestServer } from '../support/server.ts';

describe('media on S3', () => {
  let s3: TestS3Server;
  let server: TestServer;
  let url: URL;

  beforeAll(async () => {
    s3 = await startS3Server();
    server = await startTestServer({ env: s3.env(), configFile: { worker: { concurrency: 1 } } });
    const res = await server.api('/v1/videos/text2video', { method: 'POST', json: { prompt: 'a cat', duration: '3' } });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { data: { task_id: string } }).data.task_id;
    const data = await waitForKlingTask(server, `/v1/videos/text2video/${id}`, server.masterKey);
    expect(data.task_status, JSON.stringify(data)).toBe('succeed');
    const video = (data.task_result as { videos: Array<{ url: string }> }).videos[0];
    url = new URL(video?.url ?? '');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await s3?.stop();
  });

  const keyOf = (u: URL) => decodeURIComponent(u.pathname.replace(/^\/media\//, ''));

  it('stores the video in the bucket and redirects its link (302) to a presigned GET on the S3 server', async () => {
    expect(url.href.startsWith(`${server.url}/media/`)).toBe(true);
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin).toBe(s3.endpoint);
    expect(location.pathname).toBe(`/${s3.bucket}/${keyOf(url)}`);
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // The presigned URL lives as long as the Reelay link has left (24 h by default).
    const expires = Number(location.searchParams.get('X-Amz-Expires'));
    const remaining = Number(url.searchParams.get('exp')) - Date.now() / 1000;
    expect(Math.abs(expires - remaining)).toBeLessThan(5);

    const followed = await fetch(url);
    expect(followed.status).toBe(200);
    const bytes = Buffer.from(await followed.arrayBuffer());
    const object = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: keyOf(url) }));
    const stored = Buffer.from(await object.Body!.transformToByteArray());
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.equals(stored)).toBe(true);
  });

  it('answers a Range request through the redirect with 206 from the bucket', async () => {
    const part = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
  });

  it('answers HEAD itself (a presigned URL is for GET only)', async () => {
    const head = await fetch(url, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
  });

  it('presigns for the remaining lifetime of an older link', async () => {
    const signer = createLinkSigner({ secret: server.secrets.linkKey, baseUrl: () => server.url, ttlSeconds: 60 });
    const res = await fetch(signer.url(keyOf(url), Date.now() - 30_000), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const expires = Number(new URL(res.headers.get('location') ?? '').searchParams.get('X-Amz-Expires'));
    expect(expires).toBeGreaterThanOrEqual(28);
    expect(expires).toBeLessThanOrEqual(31);
  });

  it('refuses a tampered or expired link with 403 and no redirect', async () => {
    const altered = new URL(url);
    altered.searchParams.set('sig', `${url.searchParams.get('sig')?.slice(0, -2)}xx`);
    const res = await fetch(altered, { redirect: 'manual' });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    const signer = createLinkSigner({ secret: server.secrets.linkKey, baseUrl: () => server.url, ttlSeconds: 60 });
    expect((await fetch(signer.url(keyOf(url), Date.now() - 3600_000), { redirect: 'manual' })).status).toBe(403);
  });
});
