// Drives the QuickStart sample's page in Debian's Chromium with a file larger than the form takes:
//   node tests/browser/quickstart-resumable.spec.mjs <base-url>
// 1. the page says larger files upload resumably;
// 2. a 24 MiB file (over the form's 20 MiB) goes to /resumable/ with tus-js-client in 5 MiB appends, its bar moving;
//    part-way the browser goes offline (DevTools network emulation) and the append in flight breaks; back online, the
//    client asks the server where the upload stands (HEAD) and sends the rest: one creation only;
// 3. the file's row links to the stored file, /files lists it, and /media/ serves it byte for byte; no response failed.
// Prints "ok - ..." per check and, last, {"uploaded": [<sha-256 of each file that must be stored>]}.
import { chromium } from 'playwright-core';
import { check, chromiumOptions, sha256, textFile, throttleUploads, watchRoute } from './support.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node quickstart-resumable.spec.mjs <base-url>');
  process.exit(2);
}

const MiB = 1024 * 1024;
const browser = await chromium.launch(chromiumOptions);
const context = await browser.newContext();
const uploaded = [];
try {
  const page = await context.newPage();
  page.setDefaultTimeout(90_000);
  const { requests, errors } = watchRoute(page, '/resumable');
  await page.goto(base);

  // 1. The limits.
  const limits = await page.locator('#limits').textContent();
  check(/larger files, up to\s+2 GiB, upload resumably/.test(limits), 'the page says larger files upload resumably');

  // 2. A 24 MiB file at 8 MiB/s, offline part-way.
  const file = textFile('field-survey.txt', 24 * MiB);
  const cdp = await throttleUploads(context, page, 8 * MiB);
  await page.setInputFiles('#files', [file]);
  await page.click('#submit');
  await page.waitForFunction(() => window.progressLog.some(p => p.percent >= 30));
  const failed = page.waitForEvent('requestfailed', request => new URL(request.url()).pathname.startsWith('/resumable'));
  await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: 0, uploadThroughput: 0 });
  const broken = await failed;
  check(broken.method() === 'PATCH', `offline, the append in flight broke (${broken.failure()?.errorText})`);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 * MiB });

  // 3. Back online, the upload finishes and is listed.
  const row = page.locator('#queue li.saved');
  await row.waitFor();
  console.log('requests to the resumable route: ' + requests.join(' '));
  check(requests.filter(m => m === 'POST').length === 1, 'the upload was created once, not started again from zero');
  check(requests.includes('HEAD'), 'after the break the client asked the server where the upload stands (HEAD)');
  const percents = await page.evaluate(() => window.progressLog.map(p => p.percent));
  check(percents.some(p => p > 0 && p < 100) && (await row.locator('progress').getAttribute('aria-valuenow')) === '100', 'the bar moved and reached 100%');
  const href = await row.locator('a').getAttribute('href');
  check((await row.locator('a').textContent()) === file.name && href === '/media/' + file.name, 'the row links to the stored file');
  const listed = await (await fetch(new URL('files', base))).json();
  check(listed.some(f => f.name === file.name && f.size === file.buffer.length), '/files lists it with its size');
  const served = Buffer.from(await (await fetch(new URL(href.slice(1), base))).arrayBuffer());
  check(sha256(served) === sha256(file.buffer), '/media/ serves the uploaded bytes (SHA-256)');
  console.log('failed responses and page errors: ' + (errors.join(', ') || 'none'));
  check(errors.length === 0, 'no response failed and no page error');
  uploaded.push(sha256(file.buffer));
} finally {
  await browser.close();
}
console.log(JSON.stringify({ uploaded }));
