// minReadySeconds on the controllers' clock: a ReplicaSet's ready Pods count as available only
// once they have been ready that long, and the controller looks again by itself when that time
// comes (a fake clock here, so the test moves time instead of waiting for it).
import { it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { untilPasses } from '../helpers/wait.js';
import { createFakeClock, type FakeClock } from '../../src/base/clock.js';

let tc: TestCluster;
let clock: FakeClock;
beforeAll(async () => {
  clock = createFakeClock();
  tc = await startTestCluster({ clock });
}, 30_000);
afterAll(async () => {
  await tc?.stop();
});

const status = async (kind: string, name: string) => JSON.parse((await tc.kubectl(['get', kind, name, '-o', 'json'])).stdout).status;

it('counts a ready Pod as available after minReadySeconds, without any other change to look again', async () => {
  await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: slow}
spec:
  replicas: 2
  minReadySeconds: 30
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - {name: c, image: local/sleep, command: [sleep, '3600']}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: slow-rc}
spec:
  replicas: 1
  minReadySeconds: 30
  template:
    metadata: {labels: {app: slow-rc}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - {name: c, image: local/sleep, command: [sleep, '3600']}
`,
  });
  await untilPasses(async () => {
    expect(await status('rs', 'slow')).toMatchObject({ replicas: 2, readyReplicas: 2 });
    expect(await status('rc', 'slow-rc')).toMatchObject({ replicas: 1, readyReplicas: 1 });
  }, 20_000);
  expect((await status('rs', 'slow')).availableReplicas).toBeUndefined();
  expect((await status('rc', 'slow-rc')).availableReplicas).toBeUndefined();
  clock.advance(10_000);
  // Not yet: 10 of 30 seconds (whatever that woke has run once the cluster is idle).
  await tc.cluster.idle();
  expect((await status('rs', 'slow')).availableReplicas).toBeUndefined();
  clock.advance(25_000);
  await untilPasses(async () => {
    expect((await status('rs', 'slow')).availableReplicas).toBe(2);
    expect((await status('rc', 'slow-rc')).availableReplicas).toBe(1);
  }, 5_000);
}, 60_000);
