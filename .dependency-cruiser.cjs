// The layering of src/ (README "What is inside"), checked by `npm run lint` (part of `npm test`).
// Each folder may import only the folders listed for it; anything at src/ root (cluster.ts wires
// one cluster, index.ts/testing.ts/internal.ts are the package's entries) sits above them all,
// and cli/ above that. No module cycles anywhere.
const layers = {
  apimachinery: [], // a leaf, like k8s.io/apimachinery
  base: [], // logging, version, files, native addons: below everything
  api: ['apimachinery'], // the kinds' types and schemas
  storage: ['base', 'apimachinery', 'api'],
  config: ['base', 'apimachinery'],
  pki: ['base', 'apimachinery'],
  allocators: ['base', 'apimachinery', 'storage'],
  auth: ['base', 'apimachinery', 'api', 'storage'],
  registry: ['base', 'apimachinery', 'api', 'storage', 'config', 'allocators', 'auth', 'pki'],
  streaming: ['base', 'apimachinery'],
  server: ['base', 'apimachinery', 'api', 'storage', 'config', 'auth', 'registry', 'streaming', 'pki'], // pki: the aggregator's front-proxy certificate
  controllers: ['base', 'apimachinery', 'api', 'storage', 'config', 'allocators', 'auth', 'registry', 'pki'],
  dns: ['base', 'apimachinery', 'api', 'storage', 'config', 'registry'],
  dataplane: ['base', 'apimachinery', 'api', 'storage', 'config', 'registry', 'dns', 'proxy'], // the data-plane thread, its feed, and the servers it runs
  proxy: ['base', 'apimachinery', 'api', 'storage', 'config', 'registry', 'controllers'],
  kubelet: ['base', 'apimachinery', 'api', 'storage', 'config', 'allocators', 'registry', 'server', 'streaming', 'controllers'],
  ingress: ['base', 'apimachinery', 'api', 'storage', 'config', 'allocators', 'registry', 'pki', 'proxy'], // the ingress controller's data plane
  agnhost: ['base', 'apimachinery'], // the built-in e2e test image's program, run as a container
  cli: null, // may import anything
};
const folders = Object.keys(layers);
const forbidden = [
  {
    name: 'no-cycle',
    comment: 'Modules import each other in a cycle: one of them belongs lower (or the shared part in its own module).',
    severity: 'error',
    from: {},
    // Type-only and lazy (`import()`) edges close no cycle at load time: a lazily loaded module may
    // use its loader's helpers, and types may refer to each other.
    to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'dynamic-import'] } },
  },
  {
    name: 'root-above-folders',
    comment: 'Nothing under src/<folder>/ imports the entry modules at src/ root (cluster.ts and the package entries), except cli/.',
    severity: 'error',
    from: { path: '^src/(?!cli/)[^/]+/' },
    to: { path: '^src/[^/]+\\.ts$' },
  },
  ...folders
    .filter((f) => layers[f] !== null)
    .map((f) => ({
      name: `layer-${f}`,
      comment: `src/${f}/ may import only: ${layers[f].join(', ') || 'nothing else of tinykube'}.`,
      severity: 'error',
      from: { path: `^src/${f}/` },
      to: { path: '^src/', pathNot: `^src/(${[f, ...layers[f]].join('|')})/` },
    })),
  {
    name: 'known-folders',
    comment: 'A new folder under src/ needs its place in .dependency-cruiser.cjs.',
    severity: 'error',
    from: { path: '^src/' },
    to: { path: '^src/[^/]+/', pathNot: `^src/(${folders.join('|')})/` },
  },
];
module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.generated\\.json$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
