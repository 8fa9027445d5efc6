// One schema per kind (see common.ts and /work/notes/schema-conventions.md). Export names are a
// contract with the kind modules, decode, openapi and patch: every named type is exported as
// `<Name>Schema` with its static type `<Name>`.
export * from './common.js';
export * from './meta.js';
export * from './core.js';
export * from './namespace.js';
export * from './configmap.js';
export * from './secret.js';
export * from './serviceaccount.js';
export * from './lease.js';
export * from './event.js';
export * from './service.js';
export * from './endpoints.js';
export * from './endpointslice.js';
export * from './pod.js';
export * from './podtemplate.js';
export * from './node.js';
export * from './reviews.js';
export * from './metrics.js';
