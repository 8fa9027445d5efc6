import { defineConfig } from 'vitest/config';
// @ts-expect-error: a plain .mjs build helper, without types
import { yamlWorkerDefine } from './scripts/yaml-worker.mjs';
// @ts-expect-error: a plain .mjs build helper, without types
import { preloadLibDefine } from './scripts/preload-lib.mjs';
// @ts-expect-error: a plain .mjs build helper, without types
import { dataPlaneWorkerDefine } from './scripts/dataplane-worker.mjs';

export default defineConfig({
  // Tests run the TypeScript source: the YAML worker, the data-plane thread and the bind-rewrite
  // library come inlined as dist/ has them.
  define: { ...yamlWorkerDefine(), ...dataPlaneWorkerDefine(), ...preloadLibDefine() },
  test: {
    include: ['test/**/*.test.ts'],
    // A TMPDIR of the run, checked empty at the end (and /dev/shm): nothing may be left behind.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Every test file starts its own clusters on free ports; two workers fit this 2-core machine.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
