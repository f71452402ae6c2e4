import { expect } from 'vitest';

/** An answer of the Kling routes, whatever the body: no 5xx, always the Kling envelope, a Kling error code (1000+) unless 200. */
export async function expectKlingEnvelope(res: Response): Promise<void> {
  expect(res.status).toBeLessThan(500);
  const env = (await res.json()) as { code: unknown; message: unknown; request_id: unknown };
  expect(typeof env.code).toBe('number');
  expect(typeof env.message).toBe('string');
  expect(typeof env.request_id).toBe('string');
  if (res.status !== 200) expect(env.code).toBeGreaterThanOrEqual(1000);
}
