// In your own project these come from the package:
//   import { startCluster } from 'tinykube';
//   import { runKubectl } from 'tinykube/testing';
// This example lives in tinykube's repository and runs in its CI against the source, so it
// imports the same modules by path.
export { startCluster, type RunningCluster } from '../../../src/index.js';
export { runKubectl } from '../../../src/testing.js';
