// What the browser tests share: checks that print "ok - ...", distinct test files, the failures a page must not
// show, a drop on a drop zone, and the throttle that gives a progress bar something to show.
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = buffer => createHash('sha256').update(buffer).digest('hex');

export const check = (condition, message) => {
  if (!condition) throw new Error('not ok - ' + message);
  console.log('ok - ' + message);
};

// A text file of random printable bytes, so every upload is distinct.
export const textFile = (name, length) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(randomBytes(length).toString('base64').slice(0, length)) });

// Chromium's options: CHROMIUM (default /usr/bin/chromium) names the browser.
export const chromiumOptions = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

// Records the page's console errors and failed requests; expectOnly(...) then checks that the only failed requests
// are the ones named (such as 'POST /upload 400'), and that every console error is one of theirs.
export function watchFailures(page) {
  const consoleErrors = [];
  const failedResponses = [];
  page.on('console', message => {
    if (message.type() === 'error') consoleErrors.push({ text: message.text(), url: message.location().url });
  });
  page.on('pageerror', error => consoleErrors.push({ text: error.message, url: '' }));
  page.on('response', response => {
    if (response.status() >= 400) failedResponses.push(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`);
  });
  return {
    expectOnly(...expected) {
      console.log('failed requests: ' + (failedResponses.join(', ') || 'none'));
      check(JSON.stringify(failedResponses) === JSON.stringify(expected), `no request failed but ${expected.join(', ') || 'none'} (no progress request answered 404)`);
      const unexpected = consoleErrors.filter(e => !expected.some(f => {
        const [, pathname, status] = f.split(' ');
        return e.text.includes(`status of ${status}`) && new URL(e.url || 'about:blank').pathname === pathname;
      }));
      check(unexpected.length === 0, 'no console error: ' + JSON.stringify(unexpected));
    },
  };
}

// Drops a text file on the element that `selector` names, as a person dragging it from their desktop would.
export async function dropTextFile(page, selector, file) {
  const dataTransfer = await page.evaluateHandle(([name, text]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, { type: 'text/plain' }));
    return transfer;
  }, [file.name, file.buffer.toString('latin1')]);
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}

// Limits the browser's upload speed (bytes per second; -1 for none), so a progress bar has something to show.
export async function throttleUploads(context, page, bytesPerSecond) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
  return cdp;
}

// Records the methods of the page's requests under `prefix` (an upload route), and every failed response (4xx, 5xx) and
// page error, as "METHOD /path status" or the error's message.
export function watchRoute(page, prefix) {
  const requests = [];
  const errors = [];
  page.on('request', request => {
    if (new URL(request.url()).pathname.startsWith(prefix)) requests.push(request.method());
  });
  page.on('response', response => {
    if (response.status() >= 400) errors.push(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`);
  });
  page.on('pageerror', error => errors.push(error.message));
  return { requests, errors };
}
