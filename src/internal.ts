// Internals for tinykube's own benchmarks (scripts/bench): not a public API, may change any time.
export { ClusterIndex } from './dns/cluster-index.js';
export { buildAnswer } from './dns/records.js';
export { QueryHandler } from './dns/handler.js';
export { CLASS_IN, TYPE, encodeQuery, encodeResponse, finalize } from './dns/wire.js';
