// dist/cluster.cjs: src/cluster.ts (startCluster and everything it needs) as one CommonJS bundle,
// which dist/ loads through V8's code cache (src/base/code-cache.ts): Node 20 caches no compiled code
// for ES modules, and compiling the cluster's ~2 MB of code was ~40% of a start.
//
// scripts/build.mjs builds it first, then the ES module entries with clusterRedirect(): their
// `./cluster.js` becomes a small module that loads the bundle. The modules src/cli/main.ts imports
// statically (options, instance, native, ...) stay out of the bundle, which require()s the CLI's
// copies of them instead, so the classes the CLI checks errors against are the cluster's.
//
// Upstream's OpenAPI definitions (src/api/generated/**/*.openapi.ts: their descriptions, ~0.8 MB of
// strings once bundled, that only /openapi/v3 reads, loaded with import() on first use) are not in
// the bundle either: each becomes dist/openapi/<package>.cjs, which the bundle require()s when a
// document is first built. Compiled with the bundle they would cost every start ~2 ms though they
// never run (scripts/gen-api.mjs), and V8 would hold their text in every cluster's memory. The
// single executable keeps them apart the same way, as SEA assets (scripts/build-binary.mjs).
//
// The libraries only the cluster's rarely taken paths import() (scripts/vendor-apart.mjs: undici,
// http-proxy-3) are apart the same way: each is dist/vendor/<name>.cjs, require()d on first use.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VENDOR_DIR, buildVendorFiles, vendorApart, vendorFile } from './vendor-apart.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLUSTER = resolve(ROOT, 'src/cluster.ts');
const SHARED_PREFIX = 'tinykube-shared:';
const GENERATED = resolve(ROOT, 'src/api/generated');
export const OPENAPI_DIR = 'openapi';

/**
 * The file in dist/ (or SEA asset) of a generated .openapi.ts module, relative to the bundle's
 * directory: core/v1.openapi.ts -> openapi/core-v1.cjs.
 */
export const openapiFile = (source) =>
  `${OPENAPI_DIR}/${relative(GENERATED, source)
    .replace(/\.openapi\.ts$/, '')
    .replace(/[\\/]/g, '-')}.cjs`;

/**
 * esbuild plugin: the generated .openapi modules become CommonJS modules whose source is
 * `stub(file)` (file: openapiFile()), by default `require('./openapi/<package>.cjs')` of a file
 * next to the bundle; `apart` collects their sources for buildOpenAPIFiles().
 */
export function openapiApart(apart, stub = (file) => `module.exports = require(${JSON.stringify(`./${file}`)});\n`) {
  const NS = 'openapi-apart';
  return {
    name: 'openapi-apart',
    setup(b) {
      b.onResolve({ filter: /\.openapi\.js$/ }, (args) => {
        const src = sourceOf(args);
        if (!src || !src.startsWith(GENERATED + '/')) return undefined;
        apart.add(src);
        return { path: src, namespace: NS };
      });
      b.onLoad({ filter: /.*/, namespace: NS }, (args) => ({ contents: stub(openapiFile(args.path)), loader: 'js', resolveDir: ROOT }));
      b.onResolve({ filter: new RegExp(`^\\./${OPENAPI_DIR}/`), namespace: NS }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/**
 * Writes the .openapi modules `sources` (absolute paths) as CommonJS files under `dir`, named by
 * openapiFile() (dir/openapi/core-v1.cjs); returns those names.
 */
export async function buildOpenAPIFiles(common, dir, sources) {
  if (!sources.size) return [];
  await build({
    ...common,
    entryPoints: Object.fromEntries([...sources].map((src) => [openapiFile(src).replace(/\.cjs$/, ''), src])),
    outdir: dir,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    sourcemap: false,
  });
  return [...sources].map(openapiFile);
}

/** esbuild plugin: the libraries loaded apart become `require('./vendor/<name>.cjs')`, a file next to the bundle. */
export const vendorNextToBundle = () => vendorApart((name) => `module.exports = require(${JSON.stringify(`./${vendorFile(name)}`)});\n`);

/** Source files src/cli/main.ts imports statically (directly or not), but not itself. */
async function cliStaticImports(common) {
  const r = await build({
    ...common,
    entryPoints: [resolve(ROOT, 'src/cli/main.ts')],
    write: false,
    metafile: true,
    outdir: 'unused',
    format: 'esm',
    plugins: [
      {
        name: 'static-only',
        setup: (b) => b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined)),
      },
    ],
    logLevel: 'silent',
  });
  return new Set(
    Object.keys(r.metafile.inputs)
      .map((f) => resolve(ROOT, f))
      .filter((f) => f.startsWith(resolve(ROOT, 'src')) && !f.endsWith('/src/cli/main.ts')),
  );
}

/** The source file a relative import of a .ts source means (imports name `.js`). */
function sourceOf(args) {
  if (!args.path.startsWith('.') || !args.importer.startsWith(resolve(ROOT, 'src'))) return undefined;
  return resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
}

/**
 * Builds `outfile` from src/cluster.ts with esbuild options `common` (define, alias, external...).
 * Returns its content hash and the shared modules (absolute source paths) it leaves out.
 */
export async function buildClusterBundle(common, outfile) {
  const shared = await cliStaticImports(common);
  const apart = new Set();
  await build({
    ...common,
    entryPoints: [CLUSTER],
    outfile,
    format: 'cjs',
    sourcemap: true,
    plugins: [
      ...(common.plugins ?? []),
      openapiApart(apart),
      vendorNextToBundle(),
      {
        name: 'shared-with-cli',
        setup(b) {
          b.onResolve({ filter: /^\.\.?\// }, (args) => {
            const src = sourceOf(args);
            return src && shared.has(src) ? { path: SHARED_PREFIX + relative(ROOT, src), external: true } : undefined;
          });
        },
      },
    ],
  });
  // Every library of the list: dist/ ships the same files whichever of them the bundle imports.
  await Promise.all([buildOpenAPIFiles(common, dirname(outfile), apart), buildVendorFiles(common, join(dirname(outfile), VENDOR_DIR))]);
  return { shared, outfile };
}

/** Non-ASCII characters make V8 keep a source as two-byte text: see build.mjs. Then the hash. */
export function finishClusterBundle(outfile) {
  const text = readFileSync(outfile, 'utf8');
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => '?'.repeat(c.length));
  if (ascii !== text) writeFileSync(outfile, ascii);
  return createHash('sha256').update(ascii).digest('hex');
}

/**
 * esbuild plugin for the ES module build: `./cluster.js` or `../cluster.js` (src/cluster.ts) becomes a module that
 * loads `bundleFile` (at `bundlePath`, relative to the package's dist/) with the code cache.
 */
export function clusterRedirect({ hash, shared, bundleName }) {
  return {
    name: 'cluster-bundle',
    setup(b) {
      b.onResolve({ filter: /^(\.\.?\/)+cluster\.js$/ }, (args) =>
        sourceOf(args) === CLUSTER ? { path: CLUSTER, namespace: 'cluster-bundle' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'cluster-bundle' }, () => {
        const list = [...shared].sort();
        const imports = list.map((f, i) => `import * as shared${i} from ${JSON.stringify(f)};`).join('\n');
        const map = list.map((f, i) => `  ${JSON.stringify(SHARED_PREFIX + relative(ROOT, f))}: shared${i},`).join('\n');
        return {
          resolveDir: dirname(CLUSTER),
          loader: 'js',
          contents: `// src/cluster.ts, loaded from dist/${bundleName} with V8's code cache (scripts/cluster-bundle.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCachedBundle } from ${JSON.stringify(resolve(ROOT, 'src/base/code-cache.ts'))};
${imports}
// This module lands in dist/ or dist/chunks/.
const here = ['./', '../'].map((d) => fileURLToPath(new URL(d + ${JSON.stringify(bundleName)}, import.meta.url)));
const bundle = loadCachedBundle(here.find((f) => existsSync(f)) ?? here[0], ${JSON.stringify(hash)}, {
${map}
});
const cluster = bundle.exports;
let started = false;
/**
 * startCluster of the bundle. Once a start has succeeded, the code cache is written (when there
 * was none): a second later, or when the process exits before that.
 */
export async function startCluster(opts) {
  const c = await cluster.startCluster(opts);
  if (!started) {
    started = true;
    setTimeout(() => bundle.save(), 1000).unref();
    process.once('exit', () => bundle.save());
  }
  return c;
}
`,
        };
      });
    },
  };
}
