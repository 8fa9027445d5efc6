// Builds dist/ with esbuild: one ESM file per entry point, npm packages left external.
// Bundling (rather than tsc emit) proves the code stays bundle-safe for the single binary:
// no runtime file loading by path except through src/assets.ts.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const t0 = Date.now();
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: '' },
  logLevel: 'warning',
});
console.log(`built dist/ in ${Date.now() - t0} ms`);
