// Builds dist/ with esbuild: one ESM bundle per entry point with every npm dependency inlined,
// except better-sqlite3 (a native addon, loaded from node_modules; the single binary ships its
// .node file as an asset). One file loads ~40% faster than hundreds of package modules, which is
// most of tinykube's start time, and bundling proves the code stays bundle-safe.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { yamlWorkerDefine } from './yaml-worker.mjs';

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
  // The YAML decoder's worker thread, started from source text (scripts/yaml-worker.mjs).
  define: yamlWorkerDefine(),
  charset: 'ascii',
  sourcemap: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies inside an ESM bundle still call require() for node builtins.
  banner: { js: "import { createRequire as __tinykubeCreateRequire } from 'node:module'; const require = __tinykubeCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
// With charset ascii every non-ASCII character in code is escaped; what is left sits in comments
// esbuild keeps (undici's, ours). One such character makes V8 hold the whole 4 MB chunk as two-byte
// source (8 MB of RSS): replace them (one '?' per UTF-16 unit, so source map columns stay right).
for (const f of readdirSync('dist', { recursive: true })) {
  if (!String(f).endsWith('.js')) continue;
  const file = join('dist', String(f));
  const text = readFileSync(file, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => '?'.repeat(c.length)));
}
console.log(`built dist/ in ${Date.now() - t0} ms`);
