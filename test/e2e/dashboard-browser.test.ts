/**
 * The dashboard in a real browser: playwright-core driving Debian's chromium (no browser is
 * downloaded; `.ci/run` installs the package). A key signs in, builds a task in the playground
 * (with the live estimate), submits it, watches it complete in the live list open in another tab,
 * and plays its video (the element reports the clip's duration). The master key walks the admin
 * pages. A screenshot of every page is taken; with REELAY_UPDATE_SCREENSHOTS=1 they replace the
 * ones kept in docs/screenshots/ (otherwise they go to a temporary directory).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/child-server.ts';
import { startTestServer, type CreatedKey, type TestServer } from '../support/server.ts';
import { tempDir } from '../support/temp-dir.ts';

/** The few DOM shapes the in-page functions use (the project's types have no DOM lib). */
type VideoLike = {
  readyState: number;
  duration: number;
  currentTime: number;
  muted: boolean;
  videoWidth: number;
  videoHeight: number;
  error: { message: string } | null;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: string, listener: () => void, options?: { once: boolean }): void;
};
type InPage = { document: { querySelector(selector: string): (VideoLike & { textContent: string | null; disabled?: boolean }) | null } };

const CHROMIUM = [process.env.REELAY_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => typeof p === 'string' && existsSync(p));
const title = 'the dashboard in chromium';
const tmp = tempDir('reelay-screens-');
const SHOTS = process.env.REELAY_UPDATE_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs', 'screenshots') : tmp.dir;

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Fails the test on any script error or CSP violation the page reports. */
function watchConsole(page: Page, problems: string[]): void {
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
}

describe.skipIf(!CHROMIUM)(CHROMIUM ? title : `${title}: SKIPPED, chromium is not installed (apt-get install chromium)`, () => {
  let server: TestServer;
  let key: CreatedKey;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ configFile: { worker: { concurrency: 1 } } });
    key = await server.createKey('browser');
    browser = await chromium.launch({ executablePath: CHROMIUM as string, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    tmp.remove();
  });

  it('signs in, creates a task in the playground, watches it complete in the live list and plays it', async () => {
    const list = await context.newPage();
    watchConsole(list, problems);
    await list.goto(`${server.url}/dashboard/tasks`);
    expect(new URL(list.url()).pathname).toBe('/dashboard/login');
    await screenshot(list, 'login');
    await list.fill('input[name=key]', key.key);
    await Promise.all([list.waitForURL('**/dashboard/tasks'), list.click('button[type=submit]')]);
    await list.waitForSelector('#live-state.on');

    const play = await context.newPage();
    watchConsole(play, problems);
    await play.goto(`${server.url}/dashboard/playground`);
    await play.fill('textarea[name=prompt]', 'A lighthouse at dusk, waves rolling in');
    await play.fill('textarea[name=negative_prompt]', 'blur');
    await play.selectOption('select[name=mode]', 'std');
    await play.selectOption('select[name=aspect_ratio]', '1:1');
    await play.selectOption('select[name=sound]', 'off');
    const duration = play.locator('[name=duration]');
    if ((await duration.evaluate((el) => el.tagName)) === 'SELECT') await duration.selectOption('3');
    else await duration.fill('3');
    // kling-v3 std without sound: 0.6 credits a second.
    await play.waitForFunction(() => /\b1\.8\b/.test((globalThis as unknown as InPage).document.querySelector('#estimate')?.textContent ?? ''));
    await screenshot(play, 'playground');
    await Promise.all([play.waitForURL(/\/dashboard\/tasks\/\d{18}$/), play.click('#submit')]);
    const id = new URL(play.url()).pathname.split('/').pop() as string;

    // The list, open all along, shows the new task and then its completion without a reload.
    await list.waitForSelector(`#task-${id}`, { timeout: 15_000 });
    await list.waitForSelector(`#task-${id}[data-status=completed]`, { timeout: 90_000 });
    await screenshot(list, 'tasks');

    // The task page reloads itself when the task ends; the player plays the stored MP4.
    await play.waitForSelector('video#player', { timeout: 90_000 });
    const media = await play.evaluate(async () => {
      const v = (globalThis as unknown as InPage).document.querySelector('video#player') as VideoLike;
      if (v.readyState < 1) await new Promise<void>((r) => v.addEventListener('loadedmetadata', () => r(), { once: true }));
      v.muted = true;
      await v.play();
      await new Promise((r) => setTimeout(r, 700));
      return { duration: v.duration, currentTime: v.currentTime, error: v.error?.message ?? null, width: v.videoWidth, height: v.videoHeight };
    });
    expect(media.error).toBeNull();
    expect(media.duration).toBeGreaterThan(2.9);
    expect(media.duration).toBeLessThan(3.2);
    expect(media.currentTime).toBeGreaterThan(0);
    expect(media.width).toBe(media.height);
    await play.evaluate(() => (globalThis as unknown as InPage).document.querySelector('video#player')?.pause());
    expect(await play.textContent('#task-state')).toContain('completed');
    await screenshot(play, 'task');
    expect(problems).toEqual([]);
  });

  it('refuses shots whose durations do not add up to the total', async () => {
    const page = await context.newPage();
    watchConsole(page, problems);
    await page.goto(`${server.url}/dashboard/playground`);
    await page.fill('textarea[name=prompt]', 'shots');
    await page.click('#add-shot');
    await page.click('#add-shot');
    const shots = page.locator('#shots input[type=number]');
    expect(await shots.count()).toBeGreaterThanOrEqual(2);
    await shots.nth(0).fill('1');
    await shots.nth(1).fill('1');
    await page.click('#submit').catch(() => undefined);
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as InPage).document;
      return (d.querySelector('#form-error')?.textContent ?? '').length > 0 || d.querySelector('#submit')?.disabled === true;
    });
    expect(new URL(page.url()).pathname).toBe('/dashboard/playground');
    await screenshot(page, 'playground-shots');
    expect(problems).toEqual([]);
  });

  it('shows the master key every admin page', async () => {
    const admin = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const page = await admin.newPage();
      watchConsole(page, problems);
      await page.goto(`${server.url}/dashboard/login`);
      await page.fill('input[name=key]', server.masterKey);
      await Promise.all([page.waitForURL('**/dashboard/tasks'), page.click('button[type=submit]')]);
      for (const name of ['keys', 'channels', 'usage', 'deliveries']) {
        const res = await page.goto(`${server.url}/dashboard/admin/${name}`);
        expect(res?.status(), name).toBe(200);
        await page.waitForSelector('main h1');
        await screenshot(page, `admin-${name}`);
      }
      expect(await page.locator('svg').count()).toBeGreaterThanOrEqual(0);
      expect(problems).toEqual([]);
    } finally {
      await admin.close();
    }
  });
});
