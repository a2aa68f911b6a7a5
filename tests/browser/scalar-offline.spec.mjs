// Opens the TrackApi sample's API reference (Scalar) in Debian's Chromium through playwright-core and checks that the
// page loads nothing from anywhere but the app itself: no fonts, scripts, telemetry or AI services from elsewhere.
//   node tests/browser/scalar-offline.spec.mjs <base-url>
// Prints "ok - ..." per check; exits non-zero on the first failed one. CHROMIUM (default /usr/bin/chromium) names the browser.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const base = process.argv[2];
if (!base) {
  console.error('usage: node scalar-offline.spec.mjs <base-url>');
  process.exit(2);
}

const check = (condition, message) => {
  if (!condition) throw new Error('not ok - ' + message);
  console.log('ok - ' + message);
};

const origin = new URL(base).origin;
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uploadkit-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const elsewhere = [];
  // Every request the page makes, answered locally or refused: nothing leaves the machine even if the check fails.
  await context.route('**/*', route => {
    const url = route.request().url();
    if (url.startsWith(origin + '/') || url.startsWith('data:') || url.startsWith('blob:')) {
      return route.continue();
    }
    elsewhere.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(new URL('scalar/v1', base).toString(), { waitUntil: 'networkidle' });
  await page.getByText('/api/tracks/{id}/upload/{filename}').first().waitFor();
  check(true, 'the reference renders the upload endpoint');
  await page.waitForLoadState('networkidle');
  check(elsewhere.length === 0, 'the page asked for nothing outside the app' + (elsewhere.length ? ': ' + elsewhere.join(', ') : ''));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
