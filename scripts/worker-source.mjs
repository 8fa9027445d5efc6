// A worker thread's TypeScript entry as one self-contained, minified CommonJS script, ASCII only,
// for `new Worker(text, { eval: true })` (scripts/yaml-worker.mjs, scripts/dataplane-worker.mjs).
import { buildSync } from 'esbuild';

export function bundleWorker(entry) {
  const out = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    charset: 'ascii',
    logLevel: 'warning',
  });
  return out.outputFiles[0].text;
}
