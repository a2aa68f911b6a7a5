// Drives the FormUpload sample's page in Debian's Chromium through playwright-core, as a person would:
//   node tests/browser/formupload.spec.mjs <base-url>
// 1. two files chosen in the file field upload with the progress bar moving (the browser's upload is throttled so
//    that the progress endpoint has something to report) and reaching 100%, and both download byte for byte;
// 2. a file dropped on the drop zone uploads too;
// 3. a refused file shows its error, naming the file, next to the file field; the bar does not stay part-way, and
//    nothing is listed as uploaded;
// 4. the page states its limits, the button is disabled while an upload runs, and no request fails (no progress
//    request answers 404) and no console error appears but the refused upload's own 400.
// Prints "ok - ..." per check and, last, a JSON line {"uploaded": [<sha-256 of each file that must be stored>]}.
// Exits non-zero on the first failed check. CHROMIUM (default /usr/bin/chromium) names the browser.
import { chromium } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, chromiumOptions, dropTextFile, sha256, textFile, throttleUploads, watchFailures } from './support.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node formupload.spec.mjs <base-url>');
  process.exit(2);
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uploadkit-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, chromiumOptions);
const uploaded = [];
try {
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const failures = watchFailures(page);
  await page.goto(base);
  check(await page.locator('#upload-form input[type=hidden]').getAttribute('value') !== '', 'the form carries an antiforgery token');
  const limits = await page.locator('#limits').textContent();
  console.log('limits on the page: ' + limits);
  check(limits.includes('.mp3') && limits.includes('20 MiB per file') && limits.includes('100 MiB per upload'), 'the page states its limits');

  // 1. Two files through the file field, at 4 MiB/s, so the 6 MiB body takes about 1.5 s.
  const cdp = await throttleUploads(context, page, 4 * 1024 * 1024);
  const files = [textFile('holiday-notes.txt', 3 * 1024 * 1024), textFile('itinerary.txt', 3 * 1024 * 1024)];
  await page.fill('#title', 'Holiday');
  await page.setInputFiles('#files', files);
  await page.click('#submit');
  check(await page.locator('#submit').isDisabled(), 'the button is disabled while the upload runs');
  await page.locator('#uploaded li').nth(1).waitFor();
  check(await page.locator('#submit').isEnabled(), 'the button is enabled again once the upload is done');
  const history = await page.evaluate(() => window.progressHistory);
  console.log('progress bar values: ' + history.join(' '));
  check(history.some(v => v > 0 && v < 100), 'the progress bar moved through values between 0% and 100%');
  check(history.at(-1) === 100 && await page.locator('#progress').getAttribute('aria-valuenow') === '100', 'the progress bar reached 100%');
  check(await page.locator('#uploaded li').count() === 2, 'both files are listed as uploaded');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const links = await page.locator('#uploaded a').evaluateAll(anchors => anchors.map(a => a.href));
  for (const [i, link] of links.entries()) {
    const body = await (await page.request.get(link)).body();
    check(sha256(body) === sha256(files[i].buffer), `${files[i].name} downloads with the bytes that were sent`);
    uploaded.push(sha256(files[i].buffer));
  }

  // 2. A file dropped on the drop zone.
  const dropped = textFile('dropped.txt', 10_000);
  await dropTextFile(page, '#drop', dropped);
  check(await page.locator('#files').evaluate(input => input.files.length === 1 && input.files[0].name === 'dropped.txt'), 'a dropped file fills the file field');
  await page.fill('#title', 'Dropped');
  await page.click('#submit');
  await page.locator('#uploaded li', { hasText: 'dropped' }).waitFor();
  uploaded.push(sha256(dropped.buffer));

  // 3. A refused file: the error shows next to the file field, and nothing is listed.
  await page.fill('#title', 'Mixed');
  await page.setInputFiles('#files', [textFile('fine.txt', 1000), { name: 'setup.exe', mimeType: 'application/octet-stream', buffer: randomBytes(1000) }]);
  await page.click('#submit');
  const error = page.locator('#errors-files li').first();
  await error.waitFor();
  const message = await error.textContent();
  console.log('error next to the file field: ' + message);
  check(message.startsWith('setup.exe: ') && message.includes('"exe" is not allowed'), 'the refused file\'s error, naming the file, is shown next to the file field');
  check(await page.locator('#progress').isHidden(), 'the bar does not stay where the server stopped reading');
  check(await page.locator('#submit').isEnabled(), 'the button is enabled again after a refusal');
  check(await page.locator('#uploaded li').count() === 0, 'nothing is listed as uploaded after a refusal');

  // 4. Nothing failed that should not have.
  failures.expectOnly('POST /upload 400');
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ uploaded }));
