// The EndpointSlice, Endpoints and EndpointSlice-mirroring computations (pure; the controllers
// that read the store and write through the registry come with a later issue).
export * from './util.js';
export * from './desired.js';
export * from './reconcile.js';
export * from './endpoints.js';
export * from './mirroring.js';
export * from './trigger-time.js';
