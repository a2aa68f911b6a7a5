// Drives the QuickStart sample's page in Debian's Chromium through playwright-core, as a person would:
//   node tests/browser/quickstart.spec.mjs <base-url>
// 1. the page states its limits;
// 2. two chosen files upload with the browser's upload throttled, each bar and the overall bar moving on the progress
//    endpoint's events and reaching 100%; both are listed as saved with name, size and link, and download byte for
//    byte;
// 3. a dropped file uploads too;
// 4. a refused file shows the refusal next to that file while the good file beside it is saved;
// 5. no console error and no failed request but the refused upload itself (no progress request answers 404);
// 6. with JavaScript off, the plain form post answers a page listing what was saved, and a refused file's page names it.
// Prints "ok - ..." per check and, last, a JSON line {"uploaded": [<sha-256 of each file that must be stored>]}.
// Exits non-zero on the first failed check. CHROMIUM (default /usr/bin/chromium) names the browser; SCREENSHOTS names
// a folder to save PNGs of the page before, during and after an upload.
import { chromium } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { check, chromiumOptions, dropTextFile, sha256, textFile, throttleUploads, watchFailures } from './support.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node quickstart.spec.mjs <base-url>');
  process.exit(2);
}

const screenshots = process.env.SCREENSHOTS;
const screenshot = async (page, name) => {
  if (screenshots) await page.screenshot({ path: path.join(screenshots, name + '.png'), fullPage: true });
};

const browser = await chromium.launch(chromiumOptions);
const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
const uploaded = [];
try {
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const failures = watchFailures(page);
  await page.goto(base);

  // 1. The limits, as the endpoint enforces them.
  const limits = await page.locator('#limits').textContent();
  console.log('limits on the page: ' + limits.replace(/\s+/g, ' ').trim());
  check(limits.includes('20 MiB') && limits.includes('per file') && limits.includes('.png') && limits.includes('100 MiB'), 'the page states the types, the size per file and the size per upload');

  // 2. Two files through the file field, at 2 MiB/s, so the 5 MiB take about 2.5 s.
  const cdp = await throttleUploads(context, page, 2 * 1024 * 1024);
  const files = [textFile('holiday-notes.txt', 3 * 1024 * 1024), textFile('itinerary.txt', 2 * 1024 * 1024)];
  await page.setInputFiles('#files', files);
  check(await page.locator('#queue li').count() === 2, 'both chosen files are listed, ready to upload');
  await screenshot(page, 'before');
  await page.click('#submit');
  check(await page.locator('#submit').isDisabled(), 'the button is disabled while the upload runs');
  await page.waitForFunction(() => window.progressLog.some(p => p.percent > 0 && p.percent < 100));
  await screenshot(page, 'during');
  await page.locator('#queue li.saved').nth(1).waitFor();
  await page.locator('#submit:not([disabled])').waitFor();
  await screenshot(page, 'after');
  const log = await page.evaluate(() => window.progressLog);
  for (const file of files) {
    const values = log.filter(p => p.file === file.name).map(p => p.percent);
    console.log(`${file.name} bar values: ${values.join(' ')}`);
    check(values.some(v => v > 0 && v < 100), `${file.name}'s bar moved through values between 0% and 100% on the server's progress`);
    check(values.at(-1) === 100, `${file.name}'s bar reached 100%`);
  }
  check(await page.locator('#overall-bar').getAttribute('aria-valuenow') === '100' && (await page.locator('#overall-text').textContent()) === '100%', 'the overall bar reached 100%');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  for (const file of files) {
    const row = page.locator('#saved-files tbody tr', { hasText: file.name });
    check(await row.count() === 1, `${file.name} is listed among the saved files`);
    check(Number(await row.locator('td.size').getAttribute('data-bytes')) === file.buffer.length && (await row.locator('td.size').textContent()).includes('MiB'), `${file.name} is listed with its size`);
    const link = await row.locator('a').evaluate(a => a.href);
    const body = await (await page.request.get(link)).body();
    check(sha256(body) === sha256(file.buffer), `${file.name} downloads from its link with the bytes that were sent`);
    uploaded.push(sha256(file.buffer));
  }

  // 3. A file dropped on the drop zone.
  const dropped = textFile('dropped.txt', 10_000);
  await dropTextFile(page, '#drop', dropped);
  check(await page.locator('#queue li').count() === 1 && (await page.locator('#queue li').textContent()).includes('dropped.txt'), 'a dropped file replaces the finished ones in the list');
  await page.click('#submit');
  await page.locator('#saved-files tbody tr', { hasText: 'dropped.txt' }).waitFor();
  uploaded.push(sha256(dropped.buffer));

  // 4. A refused file next to a good one: the refusal shows on the refused file's row, and the good one is saved.
  const fine = textFile('fine.txt', 1000);
  await page.setInputFiles('#files', [fine, { name: 'setup.exe', mimeType: 'application/octet-stream', buffer: randomBytes(1000) }]);
  await page.click('#submit');
  const refused = page.locator('#queue li.refused');
  await refused.waitFor();
  await page.locator('#submit:not([disabled])').waitFor();
  const message = await refused.locator('.file-error').textContent();
  console.log('error next to setup.exe: ' + message);
  check((await refused.locator('.file-name').textContent()) === 'setup.exe' && message.includes('"exe" is not allowed'), 'the refusal is shown next to the refused file, as a sentence');
  check(!message.includes('{') && !message.includes('"status"'), 'the problem details are rendered, not dumped');
  check(await refused.locator('progress').isHidden(), 'the refused file\'s bar does not stay part-way');
  check(await page.locator('#queue li.saved .file-name').textContent() === 'fine.txt', 'the good file beside it is saved');
  uploaded.push(sha256(fine.buffer));
  if (screenshots) await screenshot(page, 'refused');

  // 5. Nothing failed that should not have: the refused upload's 400 is the only failed request.
  failures.expectOnly('POST /upload 400');

  // 6. Without JavaScript: the form posts the files and the answer is a page.
  const plain = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1000, height: 900 } });
  const noScript = await plain.newPage();
  noScript.setDefaultTimeout(60_000);
  await noScript.goto(base);
  const plainFiles = [textFile('plain-one.txt', 5000), textFile('plain-two.md', 7000)];
  await noScript.setInputFiles('#files', plainFiles);
  const [posted] = await Promise.all([noScript.waitForNavigation(), noScript.click('#submit')]);
  check(posted.status() === 200 && posted.headers()['content-type'].startsWith('text/html'), 'without JavaScript, the form post answers an HTML page');
  const result = await noScript.locator('#result').textContent();
  console.log('result page: ' + result);
  check(result.includes('Saved 2 files') && result.includes('plain-one.txt') && result.includes('plain-two.md'), 'the result page says what was saved');
  for (const file of plainFiles) {
    const link = await noScript.locator('#saved-files tbody tr', { hasText: file.name }).locator('a').evaluate(a => a.href);
    check(sha256(await (await noScript.request.get(link)).body()) === sha256(file.buffer), `${file.name} downloads from the result page's list`);
    uploaded.push(sha256(file.buffer));
  }
  await noScript.setInputFiles('#files', [{ name: 'tool.exe', mimeType: 'application/octet-stream', buffer: randomBytes(500) }]);
  const [refusedPage] = await Promise.all([noScript.waitForNavigation(), noScript.click('#submit')]);
  const refusal = await noScript.locator('#result').textContent();
  console.log('refusal page: ' + refusal);
  check(refusedPage.status() === 400 && refusal.includes('tool.exe') && refusal.includes('"exe" is not allowed'), 'without JavaScript, a refused file answers 400 with a page naming the file and why');
  await screenshot(noScript, 'no-javascript-refused');
  await plain.close();
} finally {
  await browser.close();
}
console.log(JSON.stringify({ uploaded }));
