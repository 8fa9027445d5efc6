// Library entry point: `import { startCluster } from 'tinykube'`.
export { startCluster } from './cluster.js';
export { createFakeClock, type Clock, type FakeClock } from './base/clock.js';
export type { RunningCluster, StartOptions, ClusterConfig } from './cluster.js';
