// Builds the browser files the samples serve from their own wwwroot, from the npm packages pinned in package-lock.json,
// so the pages load nothing from elsewhere and `dotnet run` needs no Node:
//   - samples/FormUpload/wwwroot/lib/uppy.min.js and uppy.min.css: Uppy's core, Dashboard and Tus plugins, bundled by
//     esbuild into one script that sets `window.Uppy = { Uppy, Dashboard, Tus }`, and the two packages' stylesheets;
//   - samples/QuickStart/wwwroot/lib/tus.min.js: tus-js-client's own browser build, copied as published.
// The results are committed. `node eng/build-browser-bundles.mjs` writes them after `npm ci`; `--check` writes nothing and
// exits 1 when a committed file differs from what the pinned packages build (the samples' tests run it).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modules = path.join(root, 'node_modules');
const read = file => fs.readFileSync(path.join(modules, file));
const version = name => JSON.parse(read(`${name}/package.json`)).version;

const uppy = await build({
  stdin: {
    contents: "import Uppy from '@uppy/core'; import Dashboard from '@uppy/dashboard'; import Tus from '@uppy/tus';\n"
      + 'window.Uppy = { Uppy, Dashboard, Tus };\n',
    resolveDir: root,
  },
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'eof',
  write: false,
  banner: { js: `/*! Uppy: @uppy/core ${version('@uppy/core')}, @uppy/dashboard ${version('@uppy/dashboard')}, @uppy/tus ${version('@uppy/tus')}, tus-js-client ${version('tus-js-client')} (MIT); built by eng/build-browser-bundles.mjs */` },
});

const outputs = {
  'samples/FormUpload/wwwroot/lib/uppy.min.js': Buffer.from(uppy.outputFiles[0].contents),
  'samples/FormUpload/wwwroot/lib/uppy.min.css': Buffer.concat([read('@uppy/core/dist/style.min.css'), Buffer.from('\n'), read('@uppy/dashboard/dist/style.min.css'), Buffer.from('\n')]),
  'samples/QuickStart/wwwroot/lib/tus.min.js': read('tus-js-client/dist/tus.min.js'),
};

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, contents] of Object.entries(outputs)) {
  const target = path.join(root, file);
  if (check) {
    if (!fs.existsSync(target) || !fs.readFileSync(target).equals(contents)) {
      console.error(`${file} is not what the pinned packages build; run node eng/build-browser-bundles.mjs`);
      stale++;
    }
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, contents);
    console.log(`${file}: ${contents.length} bytes`);
  }
}
process.exitCode = stale ? 1 : 0;
