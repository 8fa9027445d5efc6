// progressDeadlineSeconds on the controllers' clock (a fake one here, moved by the test): a rollout
// that makes no progress gets Progressing=False ProgressDeadlineExceeded once the deadline passes,
// and `kubectl rollout status` fails as upstream's does; a paused Deployment never times out, and
// resuming it restarts the deadline (DeploymentResumed).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { untilPasses } from '../helpers/wait.js';
import { createFakeClock, type FakeClock } from '../../src/index.js';

let tc: TestCluster;
let clock: FakeClock;
beforeAll(async () => {
  clock = createFakeClock();
  tc = await startTestCluster({ clock });
}, 30_000);
afterAll(async () => {
  await tc?.stop();
});

/** A Deployment whose Pods never become ready. */
const stuck = (name: string, deadline: number) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      progressDeadlineSeconds: deadline,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'main',
              image: 'busybox:1',
              command: ['sleep', '3600'],
              readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  });

const progressing = async (name: string) => {
  const d = JSON.parse((await tc.kubectl(['get', 'deploy', name, '-o', 'json'])).stdout);
  return d.status?.conditions?.find((c: { type: string }) => c.type === 'Progressing') as
    { status: string; reason: string; message: string; lastUpdateTime: string } | undefined;
};

describe('progressDeadlineSeconds', () => {
  it('times out a rollout without progress, and rollout status reports it', { timeout: 60_000 }, async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: stuck('slow', 30) });
    // Created, then progressing as its Pod appears (never ready).
    await untilPasses(async () => expect(await progressing('slow')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' }), 10_000);
    const rs = JSON.parse((await tc.kubectl(['get', 'rs', '-l', 'app=slow', '-o', 'json'])).stdout).items[0].metadata.name;
    expect((await progressing('slow'))!.message).toBe(`ReplicaSet "${rs}" is progressing.`);
    const events = (
      await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=slow', '-o', 'jsonpath={.items[*].message}'])
    ).stdout;
    expect(events).toContain(`Scaled up replica set ${rs} from 0 to 1`);
    const waiting = await tc.kubectl(['rollout', 'status', 'deployment/slow', '--timeout=1s'], { allowFail: true });
    expect(waiting.code).not.toBe(0);
    expect(waiting.stdout).toContain('Waiting for deployment "slow" rollout to finish: 0 of 1 updated replicas are available...');

    // Not yet at 29 s; past the deadline at 31 s.
    clock.advance(29_000);
    expect((await progressing('slow'))!.reason).toBe('ReplicaSetUpdated');
    clock.advance(2_000);
    await untilPasses(
      async () =>
        expect(await progressing('slow')).toMatchObject({
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${rs}" has timed out progressing.`,
        }),
      10_000,
    );
    const failed = await tc.kubectl(['rollout', 'status', 'deployment/slow'], { allowFail: true });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr.trim()).toBe('error: deployment "slow" exceeded its progress deadline');
    const desc = (await tc.kubectl(['describe', 'deploy', 'slow'])).stdout;
    expect(desc).toMatch(/Progressing\s+False\s+ProgressDeadlineExceeded/);
    expect(desc).toMatch(/Available\s+False\s+MinimumReplicasUnavailable/);

    // A template that works: a new rollout that completes.
    await tc.kubectl([
      'patch',
      'deployment/slow',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/template/spec/containers/0/readinessProbe"}]',
    ]);
    const done = await tc.kubectl(['rollout', 'status', 'deployment/slow', '--timeout=60s']);
    expect(done.stdout).toContain('deployment "slow" successfully rolled out');
    await untilPasses(
      async () => expect(await progressing('slow')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' }),
      10_000,
    );
  });

  it('never times out while paused; resuming restarts the deadline', { timeout: 60_000 }, async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: stuck('held', 30) });
    await untilPasses(async () => expect((await progressing('held'))?.reason).toBe('ReplicaSetUpdated'), 10_000);
    await tc.kubectl(['rollout', 'pause', 'deployment/held']);
    await untilPasses(
      async () =>
        expect(await progressing('held')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }),
      10_000,
    );
    clock.advance(120_000);
    // Time passing while paused changes nothing.
    await tc.kubectl(['annotate', 'deployment/held', 'poke=1']);
    await untilPasses(async () => {
      const d = JSON.parse((await tc.kubectl(['get', 'deploy', 'held', '-o', 'json'])).stdout);
      expect(d.status.observedGeneration).toBe(d.metadata.generation);
    }, 10_000);
    expect((await progressing('held'))!.reason).toBe('DeploymentPaused');

    await tc.kubectl(['rollout', 'resume', 'deployment/held']);
    await untilPasses(
      async () =>
        expect(await progressing('held')).toMatchObject({
          status: 'Unknown',
          reason: 'DeploymentResumed',
          message: 'Deployment is resumed',
        }),
      10_000,
    );
    expect(Date.parse((await progressing('held'))!.lastUpdateTime)).toBeGreaterThanOrEqual(Math.floor(clock.now() / 1000) * 1000);
    clock.advance(31_000);
    await untilPasses(
      async () => expect(await progressing('held')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' }),
      10_000,
    );
  });
});
