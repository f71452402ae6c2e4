/** A Kling simulator and a Reelay whose channels point at it, for end-to-end tests of the kling provider. */
import { afterAll, beforeAll } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/media/ffmpeg-binaries.ts';
import { startKlingSim, type KlingSim, type KlingSimOptions } from '../../tools/kling-sim/sim-server.ts';
import { startTestServer, type TestServer } from './server.ts';
import { tempDir } from './temp-dir.ts';

export const SIM_ACCESS_KEY = 'sim-access-key';
export const SIM_SECRET_KEY = 'sim-secret-key';

/** A kling channel on the simulator, with fast polling unless overridden. */
export function simChannel(sim: KlingSim, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'sim',
    provider: 'kling',
    base_url: sim.url,
    access_key: SIM_ACCESS_KEY,
    secret_key: SIM_SECRET_KEY,
    expected_render_seconds: 0.3,
    poll_interval_seconds: 0.2,
    max_poll_interval_seconds: 1,
    timeout_seconds: 5,
    callbacks: true,
    ...over,
  };
}

export type SimSuite = { sim: KlingSim; reelay: TestServer; key: string };

/**
 * Starts the simulator, then a Reelay with `channels(sim)` as its channels, before the suite;
 * stops both after. `onStart` receives them.
 */
export function simTestSuite(
  options: { sim?: Partial<Omit<KlingSimOptions, 'ffmpeg' | 'workDir'>>; channels: (sim: KlingSim) => object[]; worker?: object },
  onStart: (suite: SimSuite) => void,
): void {
  const tmp = tempDir('reelay-sim-');
  let sim: KlingSim | undefined;
  let reelay: TestServer | undefined;
  beforeAll(async () => {
    const ffmpeg = resolveFfmpegBinaries({ ffmpegPath: null, ffprobePath: null });
    sim = await startKlingSim({ ffmpeg: ffmpeg.ffmpeg, workDir: tmp.dir, ...options.sim });
    reelay = await startTestServer({ configFile: { channels: options.channels(sim), ...(options.worker ? { worker: options.worker } : {}) } });
    const key = (await reelay.createKey('client')).key;
    onStart({ sim, reelay, key });
  });
  afterAll(async () => {
    await reelay?.stop();
    await sim?.close();
    tmp.remove();
  });
}
