'use strict';
// Starts @20minutes/s3rver on 127.0.0.1 for the test run:
//   node --openssl-legacy-provider tests/services/s3rver.js <port> <directory> [bucket...]
// (the buckets are created before it listens)
// (s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider.)
// It checks SigV4 signatures (access key S3RVER, secret S3RVER). Two gaps are bridged here, both after or
// with a full signature check:
// - It computes the canonical URI of a bucket-level request as "/bucket", while AWSSDK.S3 4.x signs
//   "/bucket/" (CreateBucket, ListObjectsV2, ListMultipartUploads), so it answers SignatureDoesNotMatch. The
//   middleware below verifies those requests' signatures with the URI as sent, then lets them through.
// - Its router lacks AbortMultipartUpload
// (DELETE ?uploadId answers 405) and ListMultipartUploads (GET ?uploads answers 501); the middleware below
// adds both over its filesystem store, after its own signature check has passed, so the tests can show
// that a failed save leaves no multipart upload behind.
// Copies are bridged too (see copySource below).
// A third gap is closed as Amazon S3 closes it: s3rver ignores `If-None-Match: *` on writes, which S3 (since
// 2024-08) and MinIO answer with 412 when the object exists. The check below runs before s3rver's signature
// check (S3 checks the signature first); the tests send only signed requests.
const fs = require('node:fs');
const path = require('node:path');
const S3rver = require('@20minutes/s3rver');
const v4 = require('@20minutes/s3rver/lib/signature/v4');
const S3Error = require('@20minutes/s3rver/lib/models/error');
const AWSAccount = require('@20minutes/s3rver/lib/models/account');

const [port, directory, ...buckets] = process.argv.slice(2);
if (!port || !directory) {
  console.error('usage: node s3rver.js <port> <directory> [bucket...]');
  process.exit(2);
}

fs.mkdirSync(directory, { recursive: true });
const server = new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  directory,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});
const uploadsDir = (bucket) => path.join(directory, bucket, '._S3rver_uploads');

// A part still in flight when its upload is aborted can be written after the abort removed the upload's folder,
// recreating it without a key: S3 discards such a part, so a folder without a key is no upload.
function listUploads(bucket) {
  const dir = uploadsDir(bucket);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((uploadId) => {
    try {
      return [{ uploadId, key: fs.readFileSync(path.join(dir, uploadId, 'key'), 'utf8') }];
    } catch (err) {
      if (err.code === 'ENOENT') return [];
      throw err;
    }
  });
}

async function multipartShim(ctx, next) {
  try {
    await next();
  } catch (err) {
    if (process.env.S3RVER_DEBUG) console.error(ctx.method, ctx.url, JSON.stringify(ctx.headers), err);
    const [bucket, ...keyParts] = ctx.path.split('/').filter((segment) => segment.length > 0);
    if (ctx.method === 'DELETE' && 'uploadId' in ctx.query && err.code === 'MethodNotAllowed') {
      const dir = path.join(uploadsDir(bucket), path.basename(String(ctx.query.uploadId)));
      if (!fs.existsSync(dir)) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
        return;
      }
      fs.rmSync(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }
    if (ctx.method === 'GET' && keyParts.length === 0 && 'uploads' in ctx.query && err.code === 'NotImplemented') {
      ctx.body = {
        ListMultipartUploadsResult: {
          '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
          Bucket: bucket,
          IsTruncated: 'false',
          Upload: listUploads(bucket).map((u) => ({ Key: u.key, UploadId: u.uploadId })),
        },
      };
      return;
    }
    throw err;
  }
}

async function createOnly(ctx, next) {
  const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (!match || ctx.headers['if-none-match'] !== '*') return next();
  let key;
  try {
    key = decodeURIComponent(match[2]);
  } catch {
    return next();
  }
  const bucket = match[1];
  const write =
    (ctx.method === 'PUT' && !('partNumber' in ctx.query) && !ctx.headers['x-amz-copy-source']) ||
    (ctx.method === 'POST' && 'uploadId' in ctx.query);
  if (!write) return next();
  // Check and write as one step, as S3 does: a second create-only write of a key waits for none and fails while
  // the first is in flight, so two concurrent writers can never both succeed.
  const id = `${bucket}/${key}`;
  const taken = () =>
    new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
      Condition: 'If-None-Match',
    });
  if (creating.has(id)) throw taken();
  creating.add(id);
  try {
    if (await ctx.store.existsObject(bucket, key)) throw taken();
    return await next();
  } finally {
    creating.delete(id);
  }
}

const creating = new Set();

const rfc3986 = (value) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

async function bucketSlashSignature(ctx, next) {
  const auth = ctx.headers.authorization;
  if (!/^\/[^/]+\/$/.test(ctx.path) || !auth || !auth.startsWith('AWS4-HMAC-SHA256 ')) {
    return next();
  }
  verifySignature(ctx);
  return next();
}

// Checks a SigV4 header signature over the request as sent, then lets s3rver serve it as an anonymous request.
function verifySignature(ctx) {
  const request = v4.parseHeader(ctx.headers);
  const account = AWSAccount.registry.get(request.accessKeyId);
  if (!account) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  const querystring = Object.entries(ctx.query)
    .map(([name, value]) => `${rfc3986(name)}=${rfc3986(String(value))}`)
    .sort()
    .join('&');
  const stringToSign = v4.getStringToSign(
    { method: ctx.method, uri: ctx.path, querystring, headers: ctx.headers, timestamp: ctx.headers['x-amz-date'] },
    request,
  );
  const { date, region, service } = request.credential;
  const signingKey = v4.getSigningKey(account.accessKeys.get(request.accessKeyId), date, region, service);
  const signature = require('node:crypto').createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  if (signature !== request.signatureProvided) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  // Verified: s3rver serves the request as an anonymous one, which it allows.
  delete ctx.headers.authorization;
}

// Copies (CopyObject, UploadPartCopy): AWSSDK.S3 percent-encodes all of x-amz-copy-source, the slash between bucket
// and key included (S3 accepts it), which s3rver's decodeURI leaves encoded, so it finds no bucket; and s3rver ignores
// x-amz-copy-source-if-match, which S3 answers with 412 when the source's ETag differs. Both are bridged here, after a
// full signature check of the request as sent.
async function copySource(ctx, next) {
  const source = ctx.headers['x-amz-copy-source'];
  if (ctx.method !== 'PUT' || !source) return next();
  const auth = ctx.headers.authorization;
  if (auth && auth.startsWith('AWS4-HMAC-SHA256 ')) verifySignature(ctx);
  const decoded = decodeURIComponent(source.split('?')[0]);
  ctx.headers['x-amz-copy-source'] = encodeURI(decoded);
  const ifMatch = ctx.headers['x-amz-copy-source-if-match'];
  if (ifMatch) {
    const [bucket, ...key] = decoded.replace(/^\//, '').split('/');
    let etag = null;
    try {
      etag = (await ctx.store.getMetadata(bucket, key.join('/'))).etag;
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    if (etag !== null && etag.replace(/"/g, '') !== ifMatch.replace(/"/g, '')) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'x-amz-copy-source-If-Match',
      });
    }
  }
  return next();
}

// Just inside the XML encoder, so the shim's object bodies are written as XML and its errors as S3 errors.
server.middleware.splice(2, 0, multipartShim, bucketSlashSignature, copySource, createOnly);

server.run().then(
  (address) => console.log(`s3rver ready on ${address.address}:${address.port}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close().finally(() => process.exit(0)));
}
