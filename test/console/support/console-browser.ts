import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repositoryRoot } from '@lms/testing';

/** Debian's chromium package; CHROMIUM_PATH points elsewhere (another distribution, a local build). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// No GPU, no QUIC, and none of Chromium's own traffic (updates, sync, field trials): the suite talks
// to 127.0.0.1 only, so it runs on locked-down machines and never depends on the internet.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where each run's screenshots go (git-ignored; `npm test` empties .test-results/ first). */
export const SCREENSHOT_DIR = path.join(repositoryRoot(), '.test-results', 'console');

export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as `.test-results/console/<name>.png` and returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

/**
 * Real Chromium, driven by Playwright's library, with a fresh profile per suite. A machine without
 * chromium fails the suite with how to install it: a browser suite that skips itself proves nothing.
 */
export async function launchConsoleBrowser(options: { locale?: string } = {}): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The console's browser tests need Chromium at ${CHROMIUM_PATH}, and it is not there. ` +
        'Install it with `sudo apt-get install -y chromium` (Debian/Ubuntu; `.ci/run` does this in CI), ' +
        'or set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'lmsw-console-chromium-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
      locale: options.locale ?? 'en-US',
      // Replay's From/To are the browser's local time: UTC keeps the test's arithmetic plain.
      timezoneId: 'UTC',
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async screenshot(name, target = page) {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await target.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
