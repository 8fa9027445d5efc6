// The YAML decoder's worker (src/apimachinery/yaml/worker.ts) as one self-contained CommonJS script: the
// API server starts it from this text (`new Worker(text, { eval: true })`), which works the same
// in dist/, inside the single executable (no files to load) and under vitest (TypeScript
// source). Build scripts and vitest.config.ts inline it as __TINYKUBE_YAML_WORKER__.
import { bundleWorker } from './worker-source.mjs';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../src/apimachinery/yaml/worker.ts', import.meta.url));

export function yamlWorkerSource() {
  const text = bundleWorker(ENTRY);
  return text;
}

/** esbuild/vite `define` entries that inline the worker. */
export function yamlWorkerDefine() {
  return { __TINYKUBE_YAML_WORKER__: JSON.stringify(yamlWorkerSource()) };
}
