// esbuild aliases shared by scripts/build.mjs and scripts/build-binary.mjs: the parts of fastify
// that tinykube never uses, left out of its bundles (see fastify-unused.cjs).
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));

export function unusedFastifyAliases() {
  return {
    '@fastify/ajv-compiler': here('./fastify-unused.cjs'),
    '@fastify/fast-json-stringify-compiler': here('./fastify-unused.cjs'),
    'light-my-request': here('./light-my-request.cjs'),
  };
}
