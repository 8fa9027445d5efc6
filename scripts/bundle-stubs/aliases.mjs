// esbuild aliases shared by scripts/build.mjs and scripts/build-binary.mjs: the parts of fastify
// that tinykube never uses, left out of its bundles (see fastify-unused.cjs), and htmlparser2 as
// its Parser alone (src/server/apiproxy/html.ts uses nothing else): its index also brings the DOM
// handler and serializer, ~150 KB of source the bundle would hold in memory for nothing.
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));

export function unusedFastifyAliases() {
  return {
    '@fastify/ajv-compiler': here('./fastify-unused.cjs'),
    '@fastify/fast-json-stringify-compiler': here('./fastify-unused.cjs'),
    'light-my-request': here('./light-my-request.cjs'),
    htmlparser2: here('../../node_modules/htmlparser2/dist/esm/Parser.js'),
  };
}
