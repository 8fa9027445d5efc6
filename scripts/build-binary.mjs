// Builds the single executable `dist/tinykube` with Node's Single Executable Applications (SEA),
// offline, from pkg.config.json (name, entry, output, targets, assets):
//   1. esbuild bundles the entry into one CommonJS file: inside SEA only built-in modules can be
//      require()d, so every package is inlined, and the two native addons are redirected to
//      src/base/native.ts (better-sqlite3 via its `bindings` lookup, node-pty via its loadNativeModule);
//      What a cluster runs on first use only is not in it, as V8 keeps the bundle's whole source in
//      memory: the libraries loaded apart (scripts/vendor-apart.mjs) and upstream's OpenAPI
//      descriptions (scripts/cluster-bundle.mjs). Each the bundle imports is bundled alone into an
//      asset, vendor/<name>.cjs or openapi/<package>.cjs, that src/base/vendor.ts evaluates on the
//      first import. The texts the bundles inline with `define` (worker threads' scripts, the
//      bind-rewrite library) are assets text/<name>.txt too, read when the code that uses them runs;
//   2. a sea-config names that file and the assets (plus a manifest of the addons' hashes);
//   3. `node --experimental-sea-config` makes the blob (with V8's code cache: the binary starts
//      without compiling the bundle);
//   4. a copy of this node (stripped of symbols) gets the blob injected with postject.
// Usage: node scripts/build-binary.mjs [--config pkg.config.json] [--output PATH] [--entry FILE]
// (--output and --entry override the config: tests build into temp dirs and small fixtures.)
import { build } from 'esbuild';
import { unusedFastifyAliases } from './bundle-stubs/aliases.mjs';
import { lazyRequires } from './bundle-stubs/lazy-requires.mjs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postject from 'postject';
import { yamlWorkerDefine } from './yaml-worker.mjs';
import { dataPlaneWorkerDefine } from './dataplane-worker.mjs';
import { preloadLibDefine } from './preload-lib.mjs';
import { SEA_VENDOR_NAMES, buildVendorFiles, vendorApart, vendorFile } from './vendor-apart.mjs';
import { buildOpenAPIFiles, openapiApart } from './cluster-bundle.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Node's SEA fuse and resource name (documented in Node's single-executable-applications page).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const SEA_RESOURCE = 'NODE_SEA_BLOB';
// Must match SEA_MANIFEST_ASSET in src/base/native.ts.
const MANIFEST_ASSET = 'tinykube-assets.json';
const NATIVE_LOADER = join(ROOT, 'src/base/native.ts');
const VENDOR_LOADER = join(ROOT, 'src/base/vendor.ts');

/** Reads and checks pkg.config.json; paths come back absolute. */
export function readPkgConfig(file = join(ROOT, 'pkg.config.json')) {
  const cfg = JSON.parse(readFileSync(file, 'utf8'));
  const base = dirname(resolve(file));
  for (const k of ['name', 'entry', 'output']) {
    if (typeof cfg[k] !== 'string' || !cfg[k]) throw new Error(`${file}: "${k}" must be a non-empty string`);
  }
  if (cfg.assets !== undefined && (typeof cfg.assets !== 'object' || Array.isArray(cfg.assets))) {
    throw new Error(`${file}: "assets" must map an asset name to a file`);
  }
  const abs = (p) => (isAbsolute(p) ? p : join(base, p));
  return {
    name: cfg.name,
    entry: abs(cfg.entry),
    output: abs(cfg.output),
    targets: cfg.targets ?? [`node${process.versions.node.split('.')[0]}-${process.platform}-${process.arch}`],
    assets: Object.fromEntries(Object.entries(cfg.assets ?? {}).map(([k, v]) => [k, abs(v)])),
    useCodeCache: cfg.useCodeCache !== false,
    useSnapshot: cfg.useSnapshot === true,
    strip: cfg.strip !== false,
  };
}

/** SEA injects a blob into this very node binary, so the one target it can build is this machine's. */
function checkTargets(targets) {
  const here = `node${process.versions.node.split('.')[0]}-${process.platform}-${process.arch}`;
  const others = targets.filter((t) => t !== here);
  if (others.length) throw new Error(`cannot build ${others.join(', ')} here: SEA builds only for this machine's node (${here})`);
}

/** esbuild plugin: the native addons load through src/base/native.ts instead of from node_modules paths. */
function seaNativeAddons() {
  const shim = (contents) => ({ contents, loader: 'js', resolveDir: ROOT });
  return {
    name: 'tinykube-sea-native-addons',
    setup(b) {
      // better-sqlite3 finds its addon with `require('bindings')('better_sqlite3.node')` when no
      // nativeBinding is given (src/store passes one; this covers any other Database).
      b.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'tinykube-sea' }));
      b.onLoad({ filter: /^bindings$/, namespace: 'tinykube-sea' }, () =>
        shim(
          `const { requireSeaAddon } = require(${JSON.stringify(NATIVE_LOADER)});\n` +
            `module.exports = function bindings(opts) {\n` +
            `  const name = typeof opts === 'string' ? opts : opts.bindings;\n` +
            `  return requireSeaAddon(name.endsWith('.node') ? name : name + '.node').exports;\n` +
            `};\n`,
        ),
      );
      // node-pty: lib/utils.js's loadNativeModule(name) tries build/Release/<name>.node relative
      // to its own file; inside the binary it comes from the asset `<name>.node`.
      b.onLoad({ filter: /[\\/]node-pty[\\/]lib[\\/]utils\.js$/ }, () =>
        shim(
          `const { requireSeaAddon } = require(${JSON.stringify(NATIVE_LOADER)});\n` +
            `exports.assign = function assign(target, ...sources) {\n` +
            `  for (const s of sources) for (const k of Object.keys(s)) target[k] = s[k];\n` +
            `  return target;\n` +
            `};\n` +
            `exports.loadNativeModule = function loadNativeModule(name) {\n` +
            `  const a = requireSeaAddon(name + '.node');\n` +
            `  return { dir: a.dir, module: a.exports };\n` +
            `};\n`,
        ),
      );
      // node-pty's Windows half is never used on Linux; keep it (and its worker files) out.
      b.onLoad({ filter: /[\\/]node-pty[\\/]lib[\\/]windowsTerminal\.js$/ }, () => shim(`exports.WindowsTerminal = undefined;\n`));
      // ws tries these optional native speed-ups in a try/catch; left as a runtime require(), the
      // SEA loader would warn on every start. bufferutil is our word-wise masking
      // (src/streaming/ws-mask.ts); without utf-8-validate ws uses its JavaScript check.
      b.onResolve({ filter: /^bufferutil$/ }, () => ({ path: join(ROOT, 'src/streaming/ws-mask.ts') }));
      b.onResolve({ filter: /^(utf-8-validate)$/ }, (args) => ({ path: args.path, namespace: 'tinykube-sea-absent' }));
      b.onLoad({ filter: /.*/, namespace: 'tinykube-sea-absent' }, (args) =>
        shim(`throw new Error(${JSON.stringify(`${args.path} is not part of the single executable`)});\n`),
      );
      // Any other addon required by path would fail only at run time inside the binary.
      b.onResolve({ filter: /\.node$/ }, (args) => ({
        errors: [
          {
            text: `${args.path} (from ${args.importer}): native addons must be SEA assets in pkg.config.json loaded through src/base/native.ts`,
          },
        ],
      }));
    },
  };
}

/** esbuild options of the code in the binary: its bundle and the vendored libraries. */
const seaBuildOptions = () => ({
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [seaNativeAddons(), lazyRequires()],
  // fastify's schema compilers and inject(): unused (scripts/bundle-stubs).
  alias: unusedFastifyAliases(),
  // The YAML decoder's and the data plane's worker threads, started from source text
  // (scripts/yaml-worker.mjs, scripts/dataplane-worker.mjs), and the containers' bind-rewrite
  // library (scripts/preload-lib.mjs).
  define: { ...yamlWorkerDefine(), ...dataPlaneWorkerDefine(), ...preloadLibDefine() },
  legalComments: 'none',
  // Minified: no comments (one non-ASCII character in a comment makes V8 hold the whole source
  // as a two-byte string, twice its size) and less source to keep in memory.
  minify: true,
  // Keep names: error classes and fastify plugins are identified by them.
  keepNames: true,
  logLevel: 'warning',
});

/** The object whose getters give the texts apart (textsApart()), injected into the bundle. */
const TEXTS = '__tinykubeSeaTexts';

/**
 * The texts the bundles inline with `define` (the YAML decoder's and the data plane's worker
 * scripts, the bind-rewrite library: ~0.12 MB) become SEA assets text/<name>.txt, written into
 * `dir`: inlined, V8 would keep them in the bundle's source for the process's life, and the
 * bind-rewrite library is read only when a container starts. Each define becomes a getter that
 * reads its asset (src/base/vendor.ts assetText). Returns the defines, the module to inject, and the
 * assets (name -> file).
 */
function textsApart(define, dir) {
  const defines = {};
  const assets = {};
  const getters = [];
  for (const [key, value] of Object.entries(define)) {
    const text = JSON.parse(value);
    // An empty text (no C compiler for the bind-rewrite library) stays inline: it says so.
    if (typeof text !== 'string' || !text) {
      defines[key] = value;
      continue;
    }
    const asset = `text/${key.replace(/^_+|_+$/g, '').toLowerCase()}.txt`;
    mkdirSync(join(dir, 'text'), { recursive: true });
    writeFileSync(join(dir, asset), text);
    assets[asset] = join(dir, asset);
    defines[key] = `${TEXTS}.${key}`;
    getters.push(`  get ${key}() {\n    return assetText(${JSON.stringify(asset)});\n  },\n`);
  }
  const inject = join(dir, 'sea-texts.js');
  writeFileSync(inject, `import { assetText } from ${JSON.stringify(VENDOR_LOADER)};\nexport const ${TEXTS} = {\n${getters.join('')}};\n`);
  return { defines, inject, assets };
}

/**
 * The entry as one CommonJS file that needs nothing but Node's built-in modules and its assets;
 * returns the names of the vendored libraries it imports, the sources of the OpenAPI modules, the
 * texts apart (asset name -> file, written next to `outfile`), and the bytes each input file takes
 * in it (esbuild's metafile: what the binary holds, by source).
 */
export async function bundleForSea(entry, outfile) {
  const vendored = new Set();
  const openapi = new Set();
  const options = seaBuildOptions();
  const texts = textsApart(options.define, dirname(outfile));
  const loader = (fn, arg) => `module.exports = require(${JSON.stringify(VENDOR_LOADER)}).${fn}(${JSON.stringify(arg)});\n`;
  const r = await build({
    ...options,
    define: texts.defines,
    inject: [texts.inject],
    entryPoints: [entry],
    outfile,
    metafile: true,
    plugins: [
      ...options.plugins,
      vendorApart((name) => loader('requireVendored', name), vendored, SEA_VENDOR_NAMES),
      openapiApart(openapi, (file) => loader('requireAssetModule', file)),
    ],
  });
  const inputs = Object.entries(Object.values(r.metafile.outputs)[0].inputs).map(([file, i]) => [file, i.bytesInOutput]);
  return { vendored: [...vendored].sort(), openapi: [...openapi].sort(), texts: texts.assets, inputs: Object.fromEntries(inputs) };
}

/**
 * The vendored libraries `names` and the OpenAPI modules `openapi` as files in `dir` (vendor/<name>.cjs,
 * openapi/<package>.cjs), ASCII only like the bundle; returns them as assets (name -> file).
 */
async function buildSeaAssetModules(names, openapi, dir) {
  // charset ascii: V8 then holds a library's source as one-byte text (with minify there is no comment left).
  const options = { ...seaBuildOptions(), charset: 'ascii' };
  const [, files] = await Promise.all([
    buildVendorFiles(options, join(dir, 'vendor'), names),
    buildOpenAPIFiles(options, dir, new Set(openapi)),
  ]);
  return Object.fromEntries([...names.map(vendorFile), ...files].map((f) => [f, join(dir, f)]));
}

/** Builds the binary; returns { output, bytes, ms, bundleBytes }. */
export async function buildBinary({ configFile, output, entry, quiet = false } = {}) {
  const t0 = performance.now();
  const cfg = readPkgConfig(configFile);
  if (output) cfg.output = resolve(output);
  if (entry) cfg.entry = resolve(entry);
  checkTargets(cfg.targets);
  for (const [k, f] of Object.entries(cfg.assets)) {
    try {
      statSync(f);
    } catch {
      throw new Error(`asset ${k}: ${f} does not exist (is the package installed and built?)`);
    }
  }

  const work = mkdtempSync(join(tmpdir(), 'tinykube-sea-'));
  const tmp = `${cfg.output}.${process.pid}.tmp`;
  try {
    const main = join(work, `${cfg.name}.cjs`);
    const { vendored, openapi, texts } = await bundleForSea(cfg.entry, main);
    const moduleAssets = await buildSeaAssetModules(vendored, openapi, work);

    const manifest = {};
    for (const [k, f] of Object.entries(cfg.assets)) manifest[k] = createHash('sha256').update(readFileSync(f)).digest('hex');
    const manifestFile = join(work, MANIFEST_ASSET);
    writeFileSync(manifestFile, JSON.stringify(manifest));

    const blob = join(work, 'sea-prep.blob');
    const seaConfig = join(work, 'sea-config.json');
    writeFileSync(
      seaConfig,
      JSON.stringify({
        main,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: cfg.useCodeCache,
        useSnapshot: cfg.useSnapshot,
        assets: { ...cfg.assets, ...moduleAssets, ...texts, [MANIFEST_ASSET]: manifestFile },
      }),
    );
    // It says "Wrote single executable preparation blob to ..." on success: only show failures.
    try {
      execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`node --experimental-sea-config failed: ${err.stderr?.toString().trim() || err.message}`);
    }

    mkdirSync(dirname(cfg.output), { recursive: true });
    copyFileSync(process.execPath, tmp);
    chmodSync(tmp, 0o755);
    // Node's symbols are ~10% of the file and nothing at run time needs them.
    if (cfg.strip) {
      try {
        execFileSync('strip', [tmp], { stdio: 'ignore' });
      } catch {
        if (!quiet) console.warn('strip is not available: the binary keeps its symbols');
      }
    }
    await quietLief(() => postject.inject(tmp, SEA_RESOURCE, readFileSync(blob), { sentinelFuse: SEA_FUSE }));
    renameSync(tmp, cfg.output);
    const res = {
      output: cfg.output,
      bytes: statSync(cfg.output).size,
      bundleBytes: statSync(main).size,
      ms: Math.round(performance.now() - t0),
    };
    if (!quiet)
      console.log(
        `built ${cfg.output} (${(res.bytes / 1e6).toFixed(1)} MB, bundle ${(res.bundleBytes / 1e6).toFixed(1)} MB) in ${res.ms} ms`,
      );
    return res;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
}

/**
 * postject's LIEF prints "warning: Can't find string offset for section name '.note...'" for every
 * note section of Node's ELF file; they are harmless (the binary is fine) and would hide real output.
 */
async function quietLief(fn) {
  const write = process.stderr.write;
  process.stderr.write = function (chunk, ...rest) {
    if (/^warning: Can't find string offset for section name/.test(String(chunk))) return true;
    return write.call(process.stderr, chunk, ...rest);
  };
  try {
    return await fn();
  } finally {
    process.stderr.write = write;
  }
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(config|output|entry)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]} (want --config FILE, --output PATH, --entry FILE)`);
    const v = m[2] ?? argv[++i];
    if (!v) throw new Error(`--${m[1]} needs a value`);
    out[m[1] === 'config' ? 'configFile' : m[1]] = v;
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await buildBinary(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`build-binary: ${err.message}`);
    process.exit(1);
  }
}
