// Builds dist/ with esbuild: one ESM bundle per entry point with every npm dependency inlined,
// except better-sqlite3 (a native addon, loaded from node_modules; the single binary ships its
// .node file as an asset). One file loads ~40% faster than hundreds of package modules, which is
// most of tinykube's start time, and bundling proves the code stays bundle-safe.
// The library's declarations (dist/index.d.ts, package.json `types`) come from
// scripts/build-types.mjs, on a worker thread while esbuild bundles: cached while the sources do
// not change, else ~3-4 s on a 2-core machine against the bundles' ~1 s.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { yamlWorkerDefine } from './yaml-worker.mjs';
import { dataPlaneWorkerDefine } from './dataplane-worker.mjs';
import { preloadLibDefine } from './preload-lib.mjs';
import { unusedFastifyAliases } from './bundle-stubs/aliases.mjs';
import { lazyRequires } from './bundle-stubs/lazy-requires.mjs';
import { buildClusterBundle, clusterRedirect, finishClusterBundle } from './cluster-bundle.mjs';
import { vendorRefused } from './vendor-apart.mjs';

const t0 = Date.now();
rmSync('dist', { recursive: true, force: true });
const types = new Promise((resolve, reject) => {
  const worker = new Worker(new URL('./build-types.mjs', import.meta.url), { workerData: { outDir: 'dist' } });
  worker.on('message', resolve);
  worker.on('error', reject);
  worker.on('exit', (code) => reject(new Error(`the declarations worker exited with code ${code} before it finished`)));
});
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'node-pty'],
  // ws's optional native (un)masking: our word-wise JavaScript instead of its byte loop.
  // fastify's schema compilers and inject(): unused, and 0.7 MB to parse at every start.
  alias: { bufferutil: './src/streaming/ws-mask.ts', ...unusedFastifyAliases() },
  // The YAML decoder's and the data plane's worker threads, started from source text
  // (scripts/yaml-worker.mjs, scripts/dataplane-worker.mjs), and the containers' bind-rewrite
  // library (scripts/preload-lib.mjs).
  define: { ...yamlWorkerDefine(), ...dataPlaneWorkerDefine(), ...preloadLibDefine() },
  charset: 'ascii',
  // What fastify and find-my-way do at load that tinykube needs later, if ever (the file says).
  plugins: [lazyRequires()],
  logLevel: 'warning',
};
const building = (async () => {
  // The cluster as one CommonJS file, loaded with V8's code cache (scripts/cluster-bundle.mjs);
  // the entries' `./cluster.js` loads it.
  const cluster = await buildClusterBundle(common, 'dist/cluster.cjs');
  const hash = finishClusterBundle(cluster.outfile);
  return build({
    ...common,
    // internal: DNS internals for scripts/bench (not a public API).
    entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts', testing: 'src/testing.ts', internal: 'src/internal.ts' },
    outdir: 'dist',
    format: 'esm',
    sourcemap: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [
      ...common.plugins,
      clusterRedirect({ hash, shared: cluster.shared, bundleName: 'cluster.cjs' }),
      // undici and http-proxy-3 are dist/vendor/ files that the cluster bundle requires on first use.
      vendorRefused('only code in the cluster bundle (src/cluster.ts and what it imports) may import it'),
    ],
    // CommonJS dependencies inside an ESM bundle still call require() for node builtins.
    banner: {
      js: "import { createRequire as __tinykubeCreateRequire } from 'node:module'; const require = __tinykubeCreateRequire(import.meta.url);",
    },
  });
})();
// Both must settle before the process may exit; the first failure is the build's.
const [bundles, declarations] = await Promise.allSettled([building, types]);
for (const r of [bundles, declarations]) if (r.status === 'rejected') throw r.reason;
// With charset ascii every non-ASCII character in code is escaped; what is left sits in comments
// esbuild keeps (libraries', ours). One such character makes V8 hold the whole 4 MB chunk as two-byte
// source (8 MB of RSS): replace them (one '?' per UTF-16 unit, so source map columns stay right).
// The CommonJS files (dist/vendor/, dist/openapi/) too.
for (const f of readdirSync('dist', { recursive: true })) {
  if (!/\.c?js$/.test(String(f))) continue;
  const file = join('dist', String(f));
  const text = readFileSync(file, 'utf8');
  if (/[^\x00-\x7f]/.test(text))
    writeFileSync(
      file,
      text.replace(/[^\x00-\x7f]/g, (c) => '?'.repeat(c.length)),
    );
}
const d = declarations.value;
console.log(
  `built dist/ in ${Date.now() - t0} ms (${d.files.length} declaration files${d.cached ? ', cached: the sources did not change' : ''})`,
);
