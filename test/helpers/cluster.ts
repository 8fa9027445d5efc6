// Test harness: the package's own fixture (src/testing.ts, `tinykube/testing`), as users get it:
// a real in-memory cluster on its own host slot (disjoint addresses and NodePorts from every other
// cluster running, so test files need no hand-picked ranges), a kubeconfig file and a kubectl with
// its own discovery cache. DNS forwarding goes to a closed loopback port: tests never reach the
// host's resolvers (a test that needs forwarding passes its own fake upstream).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StartOptions } from '../../src/index.js';
import { startTestCluster as startFixture, runKubectl, type ClusterFixture, type KubectlResult } from '../../src/testing.js';

export type TestCluster = ClusterFixture;
export type { KubectlResult };
export { runKubectl };

export function startTestCluster(opts: StartOptions = {}): Promise<TestCluster> {
  return startFixture({ dnsUpstream: '127.0.0.1:1', ...opts });
}

export function writeTemp(dir: string, name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
