// Libraries the cluster loads on first use only, kept out of its bundles: V8 keeps a script's source
// text for as long as the script lives, so every byte of a library inlined into dist/cluster.cjs or
// the single executable's bundle is idle RSS of every cluster, used or not. No start may run one:
// each is imported with import(), by modules that are, or by a require() made lazy. Each is bundled
// on its own into a CommonJS file, and the bundle's import of it loads that file when it first runs:
//   dist/                      dist/vendor/<name>.cjs, require()d relative to dist/cluster.cjs
//                              (scripts/cluster-bundle.mjs)
//   the single executable      the SEA asset vendor/<name>.cjs, evaluated by src/base/vendor.ts
//                              (scripts/build-binary.mjs)
// The ES module entries (dist/index.js, cli.js, ...) must not import them: the build fails if they do.
import { build } from 'esbuild';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The libraries loaded apart, each with why every cluster should not hold its source. */
export const VENDOR_APART = {
  undici: '~1 MB of source: the ingress controller forwards with it, loaded once a class has an Ingress',
  'http-proxy-3': '~0.1 MB with debug: the ingress controller proxies WebSocket upgrades with it, loaded on the first',
  '@marcbachmann/cel-js':
    '~90 KB: CEL, for the x-kubernetes-validations rules of CRDs and for admission policies and match conditions, whose compilers are loaded with the first (src/registry/cel/index.ts, admission/)',
  htmlparser2:
    '~60 KB with entities: the API server proxy rewrites the links of text/html pages only, loaded with the first (src/server/apiproxy/html.ts)',
  // Two that fastify and find-my-way require() on first need (scripts/bundle-stubs/lazy-requires.mjs).
  semver: '~30 KB: fastify checks the versions a plugin declares it supports with it; none of ours declares any',
  'safe-regex2': '~15 KB with ret: find-my-way checks the regular expressions of routes with it; no route of ours has one',
};

/**
 * Libraries apart in the single executable only: in dist/ they are imported by modules of the
 * ES module entries (src/cli/main.ts reaches them), whose code splitting already makes what an
 * import() loads a chunk of its own, read on first use.
 */
export const SEA_APART = {
  'js-yaml':
    '~50 KB: the parser of YAML request bodies that are not JSON (kubectl sends JSON) and of --images files, loaded with the first (src/apimachinery/yaml/decode.ts)',
};

/** The names of the libraries apart in the single executable: VENDOR_APART's and SEA_APART's. */
export const SEA_VENDOR_NAMES = [...Object.keys(VENDOR_APART), ...Object.keys(SEA_APART)];

export const VENDOR_DIR = 'vendor';

const baseName = (name) => name.replace(/[\\/]/g, '-');

/** The file (or SEA asset) name of a vendored library, relative to the bundle's directory: vendor/undici.cjs. */
export const vendorFile = (name) => `${VENDOR_DIR}/${baseName(name)}.cjs`;

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const exactly = (names) => new RegExp(`^(${names.map(escape).join('|')})$`);
const NS = 'vendor-apart';

/**
 * esbuild plugin: an import of a library of `names` (default: VENDOR_APART's) becomes a CommonJS
 * module whose source is `stub(name)` (it sets module.exports to the library's exports); `used`
 * collects the names met. A require of `./vendor/...` inside a stub stays a runtime require().
 */
export function vendorApart(stub, used = new Set(), names = Object.keys(VENDOR_APART)) {
  return {
    name: 'vendor-apart',
    setup(b) {
      b.onResolve({ filter: exactly(names) }, (args) => {
        used.add(args.path);
        return { path: args.path, namespace: NS };
      });
      b.onLoad({ filter: /.*/, namespace: NS }, (args) => ({ contents: stub(args.path), loader: 'js', resolveDir: ROOT }));
      b.onResolve({ filter: new RegExp(`^\\./${VENDOR_DIR}/`), namespace: NS }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/** esbuild plugin for bundles that must not carry VENDOR_APART's libraries at all (the ES module entries). */
export function vendorRefused(why) {
  return {
    name: 'vendor-refused',
    setup(b) {
      b.onResolve({ filter: exactly(Object.keys(VENDOR_APART)) }, (args) => ({
        errors: [{ text: `${args.path} (from ${args.importer}) is loaded apart (scripts/vendor-apart.mjs) and ${why}` }],
      }));
    },
  };
}

/**
 * Bundles `names` (default: all of VENDOR_APART) with esbuild options `options` into `outdir`,
 * one self-contained CommonJS file each (vendorFile() names, relative to outdir's parent).
 * Throws when one would require() anything but Node's built-in modules at run time: the single
 * executable can load nothing else, and dist/ would find it, or not, in the user's node_modules.
 */
export async function buildVendorFiles(options, outdir, names = Object.keys(VENDOR_APART)) {
  if (!names.length) return [];
  const r = await build({
    ...options,
    entryPoints: Object.fromEntries(names.map((n) => [baseName(n), n])),
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    splitting: false,
    format: 'cjs',
    platform: 'node',
    sourcemap: false,
    metafile: true,
  });
  const outputs = Object.entries(r.metafile.outputs).filter(([f]) => f.endsWith('.cjs'));
  for (const [file, out] of outputs) {
    // node: names are Node's even when this Node lacks one (node:sqlite, required where it exists).
    const foreign = out.imports.filter((i) => i.external && !i.path.startsWith('node:') && !isBuiltin(i.path)).map((i) => i.path);
    if (foreign.length)
      throw new Error(`${file} requires ${foreign.join(', ')} at run time: a vendored library must bundle all but Node's modules`);
  }
  return outputs.map(([f]) => f);
}
