// esbuild plugin for tinykube's bundles (scripts/build.mjs, scripts/build-binary.mjs): a few
// dependencies do at load what tinykube never needs at start. Their sources are rewritten as
// they are bundled so that it happens on first use instead (~10 ms of every start):
//   fastify/lib/server.js        require('node:http2'): only for `http2: true` servers (~4 ms
//                                to load Node's http2 module)
//   fastify/lib/plugin-utils.js  require('semver'): only for plugins that declare the fastify
//                                versions they support (~3 ms to build semver's expressions)
//   find-my-way/index.js         safe-regex2 run on three of its own constant expressions at
//                                load (~3 ms); it still checks the routes' expressions
// and one rewrite that is about correctness, not speed:
//   @marcbachmann/cel-js/lib/functions.js  the Go duration unit `\u00b5s` inside a regular
//                                expression literal, which esbuild leaves as is: scripts/build.mjs
//                                would make it '?' and the bundle would not load (SyntaxError)
// Each rewrite is an exact text match: when a dependency's update changes the text, the build
// warns and bundles the file unchanged (correct, only slower to start).
import { readFile } from 'node:fs/promises';

const lazy = (name, module) => `const ${name} = new Proxy({}, { get: (_, key) => require(${JSON.stringify(module)})[key] })`;

const REWRITES = [
  {
    file: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/]server\.js$/,
    edits: [["const http2 = require('node:http2')", lazy('http2', 'node:http2')]],
  },
  {
    file: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/]plugin-utils\.js$/,
    edits: [["const semver = require('semver')", lazy('semver', 'semver')]],
  },
  {
    file: /[\\/]node_modules[\\/]find-my-way[\\/]index\.js$/,
    edits: [
      ["const isRegexSafe = require('safe-regex2')", "const isRegexSafe = (re) => require('safe-regex2')(re)"],
      ['if (!isRegexSafe(OPTIONAL_PARAM_REGEXP)) {', 'if (false) { // constant, checked upstream'],
      ['if (!isRegexSafe(ESCAPE_REGEXP)) {', 'if (false) { // constant, checked upstream'],
      ['if (!isRegexSafe(REMOVE_DUPLICATE_SLASHES_REGEXP)) {', 'if (false) { // constant, checked upstream'],
    ],
  },
  {
    file: /[\\/]node_modules[\\/]@marcbachmann[\\/]cel-js[\\/]lib[\\/]functions\.js$/,
    edits: [['(ns|us|\u00b5s|ms|s|m|h)/', '(ns|us|\\u00b5s|ms|s|m|h)/']],
  },
];

export function lazyRequires() {
  return {
    name: 'lazy-requires',
    setup(b) {
      for (const { file, edits } of REWRITES) {
        b.onLoad({ filter: file }, async (args) => {
          let text = await readFile(args.path, 'utf8');
          const missing = edits.filter(([from]) => !text.includes(from));
          if (missing.length) {
            return {
              contents: text,
              loader: 'js',
              warnings: [
                {
                  text: `lazy-requires: ${args.path} changed (${missing.map(([m]) => JSON.stringify(m)).join(', ')} not found): bundled as is, it loads slower (scripts/bundle-stubs/lazy-requires.mjs)`,
                },
              ],
            };
          }
          for (const [from, to] of edits) text = text.replace(from, to);
          return { contents: text, loader: 'js' };
        });
      }
    },
  };
}
