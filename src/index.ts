// Library entry point: `import { startCluster } from 'tinykube'`.
export { startCluster } from './cluster.js';
export type { RunningCluster, StartOptions, ClusterConfig } from './cluster.js';
