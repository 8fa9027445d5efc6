// Builds dist/ with esbuild: one ESM bundle per entry point with every npm dependency inlined,
// except better-sqlite3 (a native addon, loaded from node_modules; the single binary ships its
// .node file as an asset). One file loads ~40% faster than hundreds of package modules, which is
// most of tinykube's start time, and bundling proves the code stays bundle-safe.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const t0 = Date.now();
rmSync('dist', { recursive: true, force: true });
await build({
  // internal: DNS internals for scripts/bench (not a public API).
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts', internal: 'src/internal.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'node-pty'],
  // ws's optional native (un)masking: our word-wise JavaScript instead of its byte loop.
  alias: { bufferutil: './src/api/streaming/ws-mask.ts' },
  sourcemap: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies inside an ESM bundle still call require() for node builtins.
  banner: { js: "import { createRequire as __tinykubeCreateRequire } from 'node:module'; const require = __tinykubeCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`built dist/ in ${Date.now() - t0} ms`);
