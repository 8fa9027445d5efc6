// The EndpointSlice, Endpoints and EndpointSlice-mirroring computations, as pure functions; the
// controllers that run them on store events and write through the registry are controllers.ts.
export * from './util.js';
export * from './desired.js';
export * from './reconcile.js';
export * from './endpoints.js';
export * from './mirroring.js';
export * from './trigger-time.js';
