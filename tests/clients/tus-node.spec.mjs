// tus-js-client (the npm package, in Node) against a running app's resumable route:
//   node tests/clients/tus-node.spec.mjs <base-url> [protocol ...]
// For each protocol (tus-v1, ietf-draft-05, ietf-draft-03 by default) it uploads 64 MiB of random bytes in 5 MiB chunks
// twice, each time through a TCP proxy that cuts the connection in the middle of the third chunk:
//   1. resumed by URL: a new Upload given the first one's url continues it;
//   2. resumed by fingerprint: a new Upload of the same bytes finds the first one in a file-based urlStorage.
// Each time it checks that the server kept what it had acknowledged (HEAD answers an offset past two chunks), that the
// resumed upload sent only the rest, and that /media/ serves the stored file byte for byte.
// Prints "ok - ..." per check and, last, {"uploaded": [sha256...]}: the files the storage must now hold.
import * as tus from 'tus-js-client';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [base, ...requested] = process.argv.slice(2);
if (!base) {
  console.error('usage: node tus-node.spec.mjs <base-url> [tus-v1|ietf-draft-05|ietf-draft-03 ...]');
  process.exit(2);
}

const protocols = requested.length > 0 ? requested : ['tus-v1', 'ietf-draft-05', 'ietf-draft-03'];
const MiB = 1024 * 1024;
const size = 64 * MiB;
const chunkSize = 5 * MiB;
const cutAfter = 12 * MiB + 512 * 1024;   // bytes sent to the server: the middle of the third chunk
const sha256 = buffer => createHash('sha256').update(buffer).digest('hex');
const check = (condition, message) => {
  if (!condition) throw new Error('not ok - ' + message);
  console.log('ok - ' + message);
};

// A proxy in front of the app that, while armed, cuts every connection once `budget` request bytes went through it,
// as a dropped mobile connection or a restarted load balancer does.
function startProxy(target) {
  let budget = Infinity;
  const sockets = new Set();
  const server = net.createServer(client => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('data', data => {
      if (data.length >= budget) {
        upstream.write(data.subarray(0, budget));
        budget = Infinity;
        proxy.cuts++;
        // Let the bytes already written reach the app, then drop both sides without a goodbye.
        upstream.end();
        client.resetAndDestroy();
        setTimeout(close, 200);
        return;
      }
      budget -= data.length;
      upstream.write(data);
    });
    upstream.on('data', data => client.write(data));
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  const proxy = {
    cuts: 0,
    arm: bytes => { budget = bytes; },
    listen: () => new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server.address().port))),
    close: () => { for (const socket of sockets) socket.destroy(); return new Promise(resolve => server.close(resolve)); },
  };
  return proxy;
}

// Runs one tus.Upload to its end: resolves with the upload on success, rejects with the client's error.
// `prepare` runs before the start, as a client finding an earlier upload does.
function run(data, options, prepare = async () => {}) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      chunkSize,
      ...options,
      onSuccess: () => resolve(upload),
      onError: error => reject(Object.assign(error, { upload })),
    });
    prepare(upload).then(() => upload.start(), reject);
  });
}

// What the client saw: each response's method, status and Upload-Offset.
function recorder() {
  const responses = [];
  return {
    responses,
    onAfterResponse: (request, response) => {
      responses.push({ method: request.getMethod(), status: response.getStatus(), offset: Number(response.getHeader('Upload-Offset')) });
    },
    patched: () => responses.filter(r => r.method === 'PATCH' && r.status < 300).length,
  };
}

const app = new URL(base);
const proxy = startProxy(app);
const proxyPort = await proxy.listen();
const endpoint = `http://127.0.0.1:${proxyPort}/resumable/`;
const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uploadkit-tus-'));
const uploaded = [];

async function resumeCase(protocol, how) {
  const data = randomBytes(size);
  const name = `${protocol}-by-${how}.zip`;
  const common = { endpoint, protocol, metadata: { filename: name, filetype: 'application/zip' } };
  const urlStorage = new tus.FileUrlStorage(path.join(storageDir, `${protocol}-${how}.json`));
  const byFingerprint = how === 'fingerprint' ? { urlStorage, storeFingerprintForResuming: true } : {};

  // The first attempt: no retries, so the cut connection ends it as it would end a page or a process.
  proxy.arm(cutAfter);
  const cuts = proxy.cuts;
  const first = recorder();
  const error = await run(data, { ...common, ...byFingerprint, retryDelays: null, onAfterResponse: first.onAfterResponse })
    .then(() => null, e => e);
  check(error !== null && proxy.cuts === cuts + 1, `${protocol} by ${how}: the connection was cut in the third chunk and the upload stopped (${error?.message?.split('\n')[0]})`);
  check(first.patched() === 2, `${protocol} by ${how}: two chunks were acknowledged before the cut`);
  const url = error.upload.url;
  check(typeof url === 'string' && url.startsWith(endpoint), `${protocol} by ${how}: the upload has its own address`);

  // The second attempt, as a new client would make it: by the stored URL, or by finding the upload in urlStorage.
  const second = recorder();
  let resumed;
  if (how === 'url') {
    resumed = await run(data, { ...common, uploadUrl: url, retryDelays: [100, 500, 1000, 2000], onAfterResponse: second.onAfterResponse });
  } else {
    resumed = await run(data, { ...common, ...byFingerprint, retryDelays: [100, 500, 1000, 2000], onAfterResponse: second.onAfterResponse }, async upload => {
      const previous = await upload.findPreviousUploads();
      check(previous.length === 1 && previous[0].uploadUrl === url, `${protocol} by fingerprint: urlStorage holds the cut upload's address`);
      upload.resumeFromPreviousUpload(previous[0]);
    });
  }
  check(resumed.url === url, `${protocol} by ${how}: the second client continued the same upload`);
  const head = second.responses.find(r => r.method === 'HEAD');
  check(head && head.status < 300 && head.offset >= 2 * chunkSize && head.offset < size,
    `${protocol} by ${how}: HEAD answered the offset the server holds (${head?.offset}), past the two acknowledged chunks`);
  check(!second.responses.some(r => r.method === 'POST'), `${protocol} by ${how}: nothing was created anew`);
  const last = second.responses.filter(r => r.method === 'PATCH').at(-1);
  check(last.offset === size, `${protocol} by ${how}: the last append answered offset ${size}`);

  const files = await (await fetch(new URL('files', base))).json();
  const stored = files.find(f => f.name === name);
  check(stored && stored.size === size, `${protocol} by ${how}: /files lists ${name} with its 64 MiB`);
  const served = Buffer.from(await (await fetch(new URL(stored.url.replace(/^\//, ''), base))).arrayBuffer());
  check(sha256(served) === sha256(data), `${protocol} by ${how}: /media/ serves the same bytes (SHA-256)`);
  uploaded.push(sha256(data));
}

try {
  for (const protocol of protocols) {
    await resumeCase(protocol, 'url');
    await resumeCase(protocol, 'fingerprint');
  }
} finally {
  await proxy.close();
  fs.rmSync(storageDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ uploaded }));
