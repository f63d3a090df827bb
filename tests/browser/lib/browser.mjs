// SPDX-License-Identifier: Apache-2.0
// browser.mjs — a real browser for the browser suite: Debian's chromium driven by playwright-core
// (no browser download), headless, with the flags this closed network needs. Screenshots go to
// TUTELA_ARTIFACTS (the meson build's test-artifacts folder) so a run can be looked at afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export { startServer, request, backends, ROOT, BIN } from '../../api/lib/server.mjs';

export const CHROMIUM = process.env.TUTELA_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = process.env.TUTELA_ARTIFACTS
  || path.join(process.env.TUTELA_SOURCE_ROOT || process.cwd(), 'build', 'test-artifacts');

/** Launches headless chromium. Close it with browser.close(). */
export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return browser;
}

/** Saves a full-page screenshot as ARTIFACTS/<name>.png and returns its path. */
export async function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
