'use strict';
// A Node upload server as a Node developer would write it to store uploads fast: plain node:http, busboy parsing
// the multipart body, the file part piped to fs.createWriteStream. A peer of UploadKit in the upload benchmark.
//   node bench/peers/busboy/server.js --port P --data-dir D
// Listens on 127.0.0.1:P only.
//   GET  /health   200 once listening
//   POST /upload   multipart/form-data with one file part (any field name): the part is streamed to a new file
//                  under D and the answer, sent once the file is closed, is {"bytes": N, "path": "<absolute path>"}
//   POST /discard  the body is parsed and the part's bytes dropped: {"bytes": N, "path": null}
// A malformed body (no boundary, cut short, no file part, a second file part) is answered 400 with a short text,
// after the partial file is removed. SIGTERM and SIGINT close the server and exit 0.
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const busboy = require('busboy');

// fs.WriteStream buffers up to this much while a write is in flight and then writes what it holds with one
// writev, so a fast socket needs few write calls (the default, 16 KiB, makes about one write per socket read).
const WRITE_HIGH_WATER_MARK = 1024 * 1024;

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--port') options.port = Number(argv[i + 1]);
    else if (argv[i] === '--data-dir') options.dataDir = argv[i + 1];
    else options.unknown = argv[i];
  }
  if (options.unknown || !Number.isInteger(options.port) || !options.dataDir) {
    console.error('usage: node server.js --port P --data-dir D');
    process.exit(2);
  }
  return options;
}

const { port, dataDir: dataDirArg } = parseArgs(process.argv.slice(2));
const dataDir = path.resolve(dataDirArg);
fs.mkdirSync(dataDir, { recursive: true });

// Uploads being received: a stop waits until each has answered or removed its partial file.
let inFlight = 0;
let stopping = false;

function settled() {
  inFlight -= 1;
  if (stopping && inFlight === 0) process.exit(0);
}

function sendJson(res, body) {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res, status, text) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The rest of a refused body is not read: the connection closes after the answer.
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    Connection: 'close',
  });
  res.end(text);
}

// Parses the multipart body; with store, the file part goes to a new file under the data folder (the 'wx' flag
// refuses an existing name, so nothing is overwritten), otherwise its bytes are counted and dropped.
function receive(req, res, store) {
  let bb;
  try {
    bb = busboy({ headers: req.headers, limits: { files: 1 } });
  } catch (err) {
    sendText(res, 400, `${err.message}\n`);
    return;
  }

  inFlight += 1;
  let done = false; // answered, or failing
  let parsed = false;
  let part = null; // { bytes, path, stream, closed }

  function answerIfDone() {
    if (done || !parsed || (part && !part.closed)) return;
    if (!part) {
      fail(400, 'no file part in the form');
      return;
    }
    // A file whose answer cannot reach the client (it went away, or the server is stopping) is removed.
    if (req.socket.destroyed) {
      fail(400, 'the connection closed before the answer');
      return;
    }
    done = true;
    sendJson(res, { bytes: part.bytes, path: part.path });
    settled();
  }

  // Stops parsing, removes the partial file once its stream is closed (its open may still be pending), then answers.
  function fail(status, message) {
    if (done) return;
    done = true;
    req.unpipe(bb);
    const answer = () => {
      if (!res.writableEnded) sendText(res, status, `${message}\n`);
      settled();
    };
    if (!part || !part.path) {
      answer();
      return;
    }
    const { stream, path: file } = part;
    const remove = () => fs.unlink(file, answer);
    if (stream.closed) remove();
    else {
      stream.once('close', remove);
      stream.destroy();
    }
  }

  bb.on('file', (name, file) => {
    if (done) {
      file.resume();
      return;
    }
    // A body cut short ends the part with an error (busboy emits it on the part, not on the parser).
    file.on('error', (err) => fail(400, err.message));
    if (!store) {
      part = { bytes: 0, path: null, stream: null, closed: true };
      file.on('data', (chunk) => {
        part.bytes += chunk.length;
      });
      return;
    }
    const target = path.join(dataDir, `upload-${crypto.randomUUID()}`);
    const out = fs.createWriteStream(target, { flags: 'wx', highWaterMark: WRITE_HIGH_WATER_MARK });
    part = { bytes: 0, path: target, stream: out, closed: false };
    out.on('error', (err) => {
      // A failed open created no file: there is nothing of this upload's to remove.
      if (err.syscall === 'open') part.path = null;
      fail(500, `could not store the file: ${err.code || err.message}`);
    });
    out.on('close', () => {
      if (done) return;
      part.closed = true;
      part.bytes = out.bytesWritten;
      answerIfDone();
    });
    file.pipe(out);
  });
  bb.on('filesLimit', () => fail(400, 'more than one file part in the form'));
  bb.on('error', (err) => fail(400, err.message));
  bb.on('close', () => {
    parsed = true;
    answerIfDone();
  });
  // A client that goes away mid-body leaves no file behind.
  req.on('close', () => {
    if (!req.complete) fail(400, 'the request ended before its body');
  });
  req.pipe(bb);
}

const server = http.createServer((req, res) => {
  const url = req.url.split('?', 1)[0];
  if (url === '/health') {
    if (req.method !== 'GET') return sendText(res, 405, 'GET only\n');
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 3 });
    res.end('ok\n');
    return;
  }
  if (url === '/upload' || url === '/discard') {
    if (req.method !== 'POST') return sendText(res, 405, 'POST only\n');
    receive(req, res, url === '/upload');
    return;
  }
  sendText(res, 404, 'not found\n');
});
// Large uploads may take longer than Node's default 5-minute request timeout; keep-alive connections stay open as
// long as Kestrel's default (130 s) rather than Node's 5 s, so a client's idle pooled connection is still there.
server.requestTimeout = 0;
server.keepAliveTimeout = 130 * 1000;

function stop() {
  stopping = true;
  server.close();
  server.closeAllConnections();
  if (inFlight === 0) process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(port, '127.0.0.1');
