// The data-plane thread (src/dataplane/worker.ts: the cluster DNS server, fed by the store's
// changes) as one self-contained CommonJS script: the cluster starts it from this text
// (`new Worker(text, { eval: true })`), which works the same in dist/, inside the single
// executable (no files to load) and under vitest (TypeScript source). Build scripts and
// vitest.config.ts inline it as __TINYKUBE_DATAPLANE_WORKER__.
import { bundleWorker } from './worker-source.mjs';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../src/dataplane/worker.ts', import.meta.url));

export function dataPlaneWorkerSource() {
  const text = bundleWorker(ENTRY);
  // CommonJS needs `require`, which an eval'd worker lacks when it is an ES module: a worker
  // inherits its parent's flags, and a parent started with --input-type=module (`node -e` with
  // imports) makes it one. There, require comes from node:module.
  const ready = "typeof require === 'function' ? Promise.resolve(require) : import('node:module').then((m) => m.createRequire('/'))";
  return `(${ready}).then((require) => {\n${text}});\n`;
}

/** esbuild/vite `define` entries that inline the worker. */
export function dataPlaneWorkerDefine() {
  return { __TINYKUBE_DATAPLANE_WORKER__: JSON.stringify(dataPlaneWorkerSource()) };
}
