// Stands in, in tinykube's bundles (scripts/build.mjs, scripts/build-binary.mjs), for the parts of
// fastify that tinykube never uses: its route schema compilers (@fastify/ajv-compiler and
// @fastify/fast-json-stringify-compiler, with ajv and fast-json-stringify behind them) and
// fastify.inject() (light-my-request). They are ~0.7 MB of code that every start would otherwise
// parse. The API server gives fastify compilers of its own that refuse schemas (src/server/server.ts),
// so the bundle and the sources (vitest) behave alike; this module is never called.
'use strict';
function unused(what) {
  return () => {
    throw new Error(`${what} is not part of tinykube's bundle (tinykube's routes declare no fastify schemas and nothing injects requests)`);
  };
}
// ajv-compiler's and fast-json-stringify-compiler's export: a factory of compiler factories.
module.exports = () => unused('a fastify schema compiler');
module.exports.inject = unused('fastify.inject()');
