// Real headless Chromium for the UI tests (Debian's chromium, driven by playwright-core; no
// browser is ever downloaded). Each page records every request it makes, so a test can prove
// the UI reaches nothing but its own origin, and saves screenshots under test-results/screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.STELE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve(fileURLToPath(new URL('../../test-results/screenshots', import.meta.url)));
const UI_INDEX = resolve(fileURLToPath(new URL('../../ui/dist/index.html', import.meta.url)));

/**
 * Why the UI suites cannot run here, or null when they can. In CI (CI=true) a missing browser
 * or build is a failure, not a skip: .ci/run installs chromium and `npm test` builds the UI.
 */
export function uiUnavailable(): string | null {
  const missing = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM} (apt-get install chromium chromium-driver)`
    : !existsSync(UI_INDEX) ? 'the UI is not built (npm run build:ui)' : null;
  if (missing && process.env.CI === 'true') throw new Error(`UI tests must run in CI: ${missing}`);
  if (missing) console.warn(`\n*** UI TESTS SKIPPED: ${missing} ***\n`);
  return missing;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps'],
  });
}

export interface UiPage {
  page: Page;
  context: BrowserContext;
  /** Every URL the page requested (documents, scripts, images, fetches, frames). */
  requests: string[];
  /** Requests to anything but the server's origin (data: and blob: excluded). */
  foreignRequests(): string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  /**
   * Saves test-results/screenshots/<name>.png: the whole page, except when the page shows an
   * iframe (or fullPage is false), then the viewport: Chromium paints sandboxed iframes blank
   * in full-page captures (it resizes the view, and the frame's content is not repainted).
   */
  screenshot(name: string, opts?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export interface OpenPageOptions {
  /** Default 1366x800, the laptop the UI is laid out for. */
  viewport?: { width: number; height: number };
  /** Lets a test inject its own script (axe-core) past the UI's CSP; never for journeys. */
  bypassCSP?: boolean;
}

/** A fresh browser context (own cookies) on the server at origin, laptop-sized. */
export async function openPage(browser: Browser, origin: string, opts: OpenPageOptions = {}): Promise<UiPage> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1366, height: 800 }, baseURL: origin, acceptDownloads: true, bypassCSP: opts.bypassCSP ?? false,
  });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return {
    page, context, requests, errors,
    foreignRequests: () => requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:') && u !== 'about:srcdoc' && u !== 'about:blank'),
    async screenshot(name, opts = {}) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      const fullPage = opts.fullPage ?? (await page.locator('iframe').count()) === 0;
      await page.screenshot({ path, fullPage });
      return path;
    },
    close: () => context.close(),
  };
}

/** Signs in through the UI's form; totp is a function so the code is fresh when typed. */
export async function signIn(p: UiPage, username: string, password: string, totp?: () => string): Promise<void> {
  const { page } = p;
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (totp) {
    await page.getByLabel('Code from your authenticator app').fill(totp());
    await page.getByRole('button', { name: 'Verify' }).click();
  }
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
