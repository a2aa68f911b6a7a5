// Drives the FormUpload sample's resumable page (Uppy's Dashboard with @uppy/tus) in Debian's Chromium through
// playwright-core:
//   node tests/browser/resumable.spec.mjs <base-url>
// 1. the page loads nothing from elsewhere (Uppy is served by the app);
// 2. an 8 MiB file chosen in the Dashboard uploads at 1 MiB/s; part-way the browser goes offline (DevTools network
//    emulation), the upload stalls, the browser comes back online, and Uppy resumes it: one creation only, a HEAD asking
//    where the upload stands, and the rest sent from there;
// 3. the upload completes, the page lists the stored file, and /media/ serves it byte for byte.
// Prints "ok - ..." per check and, last, {"uploaded": [<sha-256 of each file that must be stored>]}.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, chromiumOptions, sha256, textFile, throttleUploads, watchRoute } from './support.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node resumable.spec.mjs <base-url>');
  process.exit(2);
}

const MiB = 1024 * 1024;
const origin = new URL(base).origin;
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uploadkit-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, chromiumOptions);
const uploaded = [];
try {
  const elsewhere = [];
  await context.route('**/*', route => {
    const url = route.request().url();
    if (url.startsWith(origin + '/') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(90_000);
  const { requests, errors } = watchRoute(page, '/resumable/uploads');

  // 1. The page and Uppy, from the app alone.
  await page.goto(new URL('resumable', base).toString(), { waitUntil: 'networkidle' });
  await page.locator('.uppy-Dashboard').waitFor();
  check(elsewhere.length === 0, 'the page asked for nothing outside the app' + (elsewhere.length ? ': ' + elsewhere.join(', ') : ''));

  // 2. One 8 MiB file at 1 MiB/s, offline part-way.
  const file = textFile('expedition-log.txt', 8 * MiB);
  const cdp = await throttleUploads(context, page, MiB);
  await page.setInputFiles('.uppy-Dashboard-input >> nth=0', [file]);
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  const uploadedBytes = () => page.evaluate(() => window.uppy.getFiles()[0]?.progress.bytesUploaded || 0);
  await page.waitForFunction(() => (window.uppy.getFiles()[0]?.progress.bytesUploaded || 0) >= 3 * 1024 * 1024);
  const before = await uploadedBytes();
  console.log(`going offline after ${before} bytes`);
  // The chunk on its way breaks; Uppy's Tus plugin then waits for the 'online' event before it resumes.
  const failed = page.waitForEvent('requestfailed', request => new URL(request.url()).pathname.startsWith('/resumable/uploads'));
  await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: 0, uploadThroughput: 0 });
  const broken = await failed;
  const progress = await page.evaluate(() => window.uppy.getFiles()[0].progress);
  check(!progress.uploadComplete, `offline, the ${broken.method()} in flight failed (${broken.failure()?.errorText}) and the upload stalled at ${progress.bytesUploaded} bytes`);
  const headsBefore = requests.filter(m => m === 'HEAD').length;
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 2 * MiB });

  // 3. Back online: Uppy asks where the upload stands and sends the rest.
  await page.waitForFunction(() => window.uppy.getFiles()[0]?.progress.uploadComplete === true);
  console.log('requests to the resumable route: ' + requests.join(' '));
  check(requests.filter(m => m === 'POST').length === 1, 'the upload was created once, not started again from zero');
  check(requests.filter(m => m === 'HEAD').length > headsBefore, 'back online, the client asked the server where the upload stands (HEAD)');
  const link = page.locator('#stored a', { hasText: file.name });
  await link.waitFor();
  check(true, 'the page lists the stored file');
  const served = Buffer.from(await (await fetch(new URL((await link.getAttribute('href')).replace(/^\//, ''), base))).arrayBuffer());
  check(sha256(served) === sha256(file.buffer), '/media/ serves the uploaded bytes (SHA-256)');
  console.log('failed responses and page errors: ' + (errors.join(', ') || 'none'));
  check(errors.every(e => / (409|423) /.test(` ${e.split(' ').at(-1)} `)), 'no response failed but a busy or mismatching append the client recovers from');
  uploaded.push(sha256(file.buffer));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ uploaded }));
