// Deployments as kubectl (v1.32) users drive them: `create deployment … -- command`, `wait
// --for=condition=Available`, `rollout status|history|undo|restart|pause|resume`, `set
// image|env|resources`, `scale`, `expose`, `describe` with the ScalingReplicaSet events,
// `delete --cascade=…` and `apply -k` of an overlay; and what the controller guarantees while doing
// so: one ReplicaSet per template with the pod-template-hash label and selector, the revision
// annotations kubectl's history and undo read, maxSurge/maxUnavailable respected during a rolling
// update, Recreate scaling down before it scales up, proportional scaling of a stuck rollout, the
// revision history limit, and adoption of the ReplicaSets an orphaning delete left.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster, writeTemp, type TestCluster } from '../helpers/cluster.js';
import { until, untilPasses } from '../helpers/wait.js';
import { workloadKubectl } from '../helpers/workloads.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 30_000);
afterAll(async () => {
  await tc?.stop();
});

type Obj = {
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string; kind: string; name: string; controller?: boolean }[];
    finalizers?: string[];
  };
  spec?: any;
  status?: any;
};

const kube = workloadKubectl(() => tc, { nsPrefix: 'deploy' });
const { k, newNamespace } = kube;
const json = <T = Obj>(args: string[]): Promise<T> => kube.get<T>(args);
const items = async (args: string[]) => (await json<{ items: Obj[] }>(args)).items;
/** The ReplicaSets a Deployment controls, lowest revision first. */
const replicaSets = async (ns: string, deploy: Obj | string) => {
  const d = typeof deploy === 'string' ? await json(['deploy', deploy, '-n', ns]) : deploy;
  return (await items(['rs', '-n', ns]))
    .filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid && r.controller))
    .sort((a, b) => Number(a.metadata.annotations?.[REV]) - Number(b.metadata.annotations?.[REV]));
};
/** Pods of a namespace with these labels that are not being deleted. */
const livePods = (ns: string, selector: string) => kube.livePods<Obj>(ns, selector);
const REV = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';
const rolledOut = async (ns: string, name: string) => {
  const r = await k(['rollout', 'status', `deployment/${name}`, '-n', ns, '--timeout=60s']);
  expect(r.stdout).toContain(`deployment "${name}" successfully rolled out`);
};
/** ScalingReplicaSet messages of a Deployment in the order they were recorded. */
const scalingEvents = async (ns: string, name: string) =>
  (
    await items([
      'events',
      '-n',
      ns,
      '--field-selector',
      `involvedObject.kind=Deployment,involvedObject.name=${name},reason=ScalingReplicaSet`,
    ])
  )
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((e) => (e as unknown as { message: string }).message);

const deployment = (name: string, replicas: number, extra: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'main', image: 'busybox:1', command: ['sleep', '3600'] }],
          terminationGracePeriodSeconds: 1,
          ...podSpec,
        },
      },
      ...extra,
    },
  });

describe('kubectl create deployment', () => {
  it('runs the command given after --, becomes Available, rolls out, and prints the table', async () => {
    const ns = await newNamespace();
    const out = await k(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=3', '-n', ns, '--', 'sleep', '3600']);
    expect(out.stdout.trim()).toBe('deployment.apps/web created');
    const w = await k(['wait', '--for=condition=Available', 'deployment/web', '-n', ns, '--timeout=60s']);
    expect(w.stdout.trim()).toBe('deployment.apps/web condition met');
    await rolledOut(ns, 'web');

    const d = await json(['deploy', 'web', '-n', ns]);
    // SetDefaults_Deployment, and kubectl's labels and selector.
    expect(d.spec).toMatchObject({
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template.spec.containers[0]).toMatchObject({ name: 'busybox', image: 'busybox:1.36', command: ['sleep', '3600'] });
    expect(d.metadata.annotations?.[REV]).toBe('1');
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(d.status.unavailableReplicas).toBeUndefined();
    const conds = Object.fromEntries(d.status.conditions.map((c: { type: string }) => [c.type, c]));
    expect(conds.Available).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
    });
    expect(conds.Progressing).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });

    // One ReplicaSet, named and labelled by the template hash, controlled by the Deployment.
    const [rs, ...more] = await replicaSets(ns, d);
    expect(more).toEqual([]);
    const hash = rs!.metadata.labels![HASH]!;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(conds.Progressing.message).toBe(`ReplicaSet "web-${hash}" has successfully progressed.`);
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', [HASH]: hash });
    expect(rs!.spec.template.metadata.labels).toEqual({ app: 'web', [HASH]: hash });
    expect(rs!.metadata.annotations).toMatchObject({
      [REV]: '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    const pods = await livePods(ns, 'app=web');
    expect(pods).toHaveLength(3);
    for (const p of pods) expect(p.metadata.labels?.[HASH]).toBe(hash);

    const table = (await k(['get', 'deploy', 'web', '-n', ns])).stdout.split('\n');
    expect(table[0]!.split(/\s{2,}/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(table[1]!.split(/\s+/).slice(0, 4)).toEqual(['web', '3/3', '3', '3']);
    const wide = (await k(['get', 'deploy', 'web', '-n', ns, '-o', 'wide'])).stdout.split('\n');
    expect(wide[0]!.split(/\s{2,}/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wide[1]!.split(/\s+/).slice(5)).toEqual(['busybox', 'busybox:1.36', 'app=web']);
    // The short name and the `all` category.
    expect((await k(['get', 'all', '-n', ns, '-o', 'name'])).stdout).toContain('deployment.apps/web');
    expect((await k(['get', 'deploy', '-n', ns, '-o', 'name'])).stdout.trim()).toBe('deployment.apps/web');

    const desc = (await k(['describe', 'deployment', 'web', '-n', ns])).stdout;
    expect(desc).toMatch(/Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
    expect(desc).toContain(`NewReplicaSet:   web-${hash} (3/3 replicas created)`);
    expect(desc).toMatch(
      new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set web-${hash} from 0 to 3`),
    );
  });

  it('scales with kubectl scale, up and down', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('sc', 2));
    await rolledOut(ns, 'sc');
    expect((await k(['scale', 'deployment/sc', '--replicas=5', '-n', ns])).stdout.trim()).toBe('deployment.apps/sc scaled');
    await rolledOut(ns, 'sc');
    await untilPasses(async () => expect(await livePods(ns, 'app=sc')).toHaveLength(5), 30_000);
    const [rs] = await replicaSets(ns, 'sc');
    expect(rs!.spec.replicas).toBe(5);
    expect(rs!.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('5');
    await k(['scale', 'deployment/sc', '--replicas=1', '-n', ns]);
    await untilPasses(async () => {
      const d = await json(['deploy', 'sc', '-n', ns]);
      expect(d.status).toMatchObject({ replicas: 1, availableReplicas: 1 });
    }, 30_000);
    await untilPasses(async () => expect(await livePods(ns, 'app=sc')).toHaveLength(1), 30_000);
    const events = await scalingEvents(ns, 'sc');
    expect(events).toContain(`Scaled up replica set ${rs!.metadata.name} from 2 to 5`);
    expect(events).toContain(`Scaled down replica set ${rs!.metadata.name} from 5 to 1`);
    // Still one ReplicaSet: scaling is no new revision.
    expect(await replicaSets(ns, 'sc')).toHaveLength(1);
  });
});

describe('rollouts', () => {
  it('set image / env / resources roll out new ReplicaSets within maxSurge and maxUnavailable; history and undo', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('roll', 4, { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    await rolledOut(ns, 'roll');
    const [rs1] = await replicaSets(ns, 'roll');

    expect((await k(['set', 'image', 'deployment/roll', 'main=busybox:2', '-n', ns])).stdout.trim()).toBe(
      'deployment.apps/roll image updated',
    );
    await rolledOut(ns, 'roll');
    let rss = await replicaSets(ns, 'roll');
    expect(rss.map((r) => [r.metadata.annotations?.[REV], r.spec.replicas])).toEqual([
      ['1', 0],
      ['2', 4],
    ]);
    const rs2 = rss[1]!;
    expect(rs2.spec.template.spec.containers[0].image).toBe('busybox:2');
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=roll');
      expect(pods.map((p) => p.metadata.labels?.[HASH])).toEqual([...Array(4)].map(() => rs2.metadata.labels![HASH]));
    }, 30_000);
    // Replaying the scaling events: never more than 4 + 1 (surge) replicas, never fewer than 4 - 1 wanted.
    const sizes = new Map<string, number>([[rs1!.metadata.name, 4]]);
    const events = await scalingEvents(ns, 'roll');
    const rolloutEvents = events.slice(events.indexOf(`Scaled up replica set ${rs1!.metadata.name} from 0 to 4`) + 1);
    // At least two steps each way (one replica of surge, one unavailable), ending with the old one at 0.
    expect(rolloutEvents.length).toBeGreaterThanOrEqual(4);
    expect(rolloutEvents.at(-1)).toMatch(new RegExp(`^Scaled down replica set ${rs1!.metadata.name} from \\d+ to 0$`));
    for (const e of rolloutEvents) {
      const m = /^Scaled (up|down) replica set (\S+) from (\d+) to (\d+)$/.exec(e);
      expect(m, e).toBeTruthy();
      expect(sizes.get(m![2]!) ?? 0).toBe(Number(m![3]));
      sizes.set(m![2]!, Number(m![4]));
      const total = [...sizes.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(5);
      expect(total).toBeGreaterThanOrEqual(3);
    }
    expect(rolloutEvents[0]).toBe(`Scaled up replica set ${rs2.metadata.name} from 0 to 1`);

    await k(['set', 'env', 'deployment/roll', 'FOO=bar', '-n', ns]);
    await rolledOut(ns, 'roll');
    await k(['annotate', 'deployment/roll', 'kubernetes.io/change-cause=set FOO', '-n', ns]);
    await k(['set', 'resources', 'deployment/roll', '-c=main', '--limits=cpu=200m,memory=64Mi', '-n', ns]);
    await rolledOut(ns, 'roll');
    rss = await replicaSets(ns, 'roll');
    expect(rss.map((r) => r.metadata.annotations?.[REV])).toEqual(['1', '2', '3', '4']);
    expect(rss[3]!.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '200m', memory: '64Mi' });
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=roll');
      expect(pods).toHaveLength(4);
      for (const p of pods) {
        expect(p.spec.containers[0].env).toEqual([{ name: 'FOO', value: 'bar' }]);
        expect(p.spec.containers[0].resources.limits).toEqual({ cpu: '200m', memory: '64Mi' });
      }
    }, 30_000);

    const history = (await k(['rollout', 'history', 'deployment/roll', '-n', ns])).stdout;
    expect(
      history
        .split('\n')
        .slice(1, 6)
        .map((l) => l.trim().split(/\s{2,}/)),
    ).toEqual([
      ['REVISION', 'CHANGE-CAUSE'],
      ['1', '<none>'],
      ['2', '<none>'],
      ['3', 'set FOO'],
      ['4', 'set FOO'],
    ]);
    const rev2 = (await k(['rollout', 'history', 'deployment/roll', '-n', ns, '--revision=2'])).stdout;
    expect(rev2).toContain('deployment.apps/roll with revision #2');
    expect(rev2).toMatch(/Image:\s+busybox:2/);
    expect(rev2).not.toContain('FOO');

    // Undo: back to revision 3's template (no limits), which becomes revision 5.
    const generation = (await json(['deploy', 'roll', '-n', ns])).metadata.generation!;
    expect((await k(['rollout', 'undo', 'deployment/roll', '-n', ns])).stdout.trim()).toBe('deployment.apps/roll rolled back');
    await rolledOut(ns, 'roll');
    let d = await json(['deploy', 'roll', '-n', ns]);
    // One change of the template (and annotations) is one generation; the controller's revision write adds none.
    expect(d.metadata.generation).toBe(generation + 1);
    expect(d.status.observedGeneration).toBe(generation + 1);
    expect(d.spec.template.spec.containers[0].resources).toEqual({});
    expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'FOO', value: 'bar' }]);
    expect(d.metadata.annotations?.[REV]).toBe('5');
    rss = await replicaSets(ns, 'roll');
    expect(rss.map((r) => r.metadata.annotations?.[REV])).toEqual(['1', '2', '4', '5']);
    expect(rss[3]!.metadata.name).toBe(
      rss.find((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision-history'])!.metadata.name,
    );
    expect(rss[3]!.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('3');
    expect(rss[3]!.spec.replicas).toBe(4);

    // Undo to a given revision.
    await k(['rollout', 'undo', 'deployment/roll', '--to-revision=1', '-n', ns]);
    await rolledOut(ns, 'roll');
    d = await json(['deploy', 'roll', '-n', ns]);
    expect(d.spec.template.spec.containers[0].image).toBe('busybox:1');
    expect(d.spec.template.spec.containers[0].env).toBeUndefined();
    rss = await replicaSets(ns, 'roll');
    expect(rss.at(-1)!.metadata.name).toBe(rs1!.metadata.name);
    expect(rss.at(-1)!.metadata.annotations?.[REV]).toBe('6');
    // Rolling back to the template in use is refused by kubectl.
    const same = await tc.kubectl(['rollout', 'undo', 'deployment/roll', '--to-revision=6', '-n', ns], { allowFail: true });
    expect(same.stdout + same.stderr).toContain('skipped rollback (current template already matches revision 6)');
  });

  it('rollout restart replaces every Pod through a new ReplicaSet', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('rs', 2));
    await rolledOut(ns, 'rs');
    const before = (await livePods(ns, 'app=rs')).map((p) => p.metadata.name);
    expect((await k(['rollout', 'restart', 'deployment/rs', '-n', ns])).stdout.trim()).toBe('deployment.apps/rs restarted');
    await rolledOut(ns, 'rs');
    const d = await json(['deploy', 'rs', '-n', ns]);
    expect(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    expect(await replicaSets(ns, d)).toHaveLength(2);
    await untilPasses(async () => {
      const after = (await livePods(ns, 'app=rs')).map((p) => p.metadata.name);
      expect(after).toHaveLength(2);
      for (const n of after) expect(before).not.toContain(n);
    }, 30_000);
  });

  it('pause stops rollouts but not scaling; resume rolls out', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('pz', 2));
    await rolledOut(ns, 'pz');
    expect((await k(['rollout', 'pause', 'deployment/pz', '-n', ns])).stdout.trim()).toBe('deployment.apps/pz paused');
    await k(['set', 'image', 'deployment/pz', 'main=busybox:2', '-n', ns]);
    await k(['scale', 'deployment/pz', '--replicas=3', '-n', ns]);
    let d: Obj;
    await untilPasses(async () => {
      d = await json(['deploy', 'pz', '-n', ns]);
      expect(d.status.observedGeneration).toBe(d.metadata.generation);
      expect(d.status.availableReplicas).toBe(3);
    }, 30_000);
    const progressing = d!.status.conditions.find((c: { type: string }) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    // No new ReplicaSet while paused; the old one scaled.
    const rss = await replicaSets(ns, d!);
    expect(rss).toHaveLength(1);
    expect(rss[0]!.spec.replicas).toBe(3);
    expect(rss[0]!.spec.template.spec.containers[0].image).toBe('busybox:1');
    const undo = await tc.kubectl(['rollout', 'undo', 'deployment/pz', '--to-revision=1', '-n', ns], { allowFail: true });
    expect(undo.code).not.toBe(0);
    expect(undo.stderr).toContain("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");

    expect((await k(['rollout', 'resume', 'deployment/pz', '-n', ns])).stdout.trim()).toBe('deployment.apps/pz resumed');
    await rolledOut(ns, 'pz');
    const after = await replicaSets(ns, 'pz');
    expect(after.map((r) => [r.spec.template.spec.containers[0].image, r.spec.replicas])).toEqual([
      ['busybox:1', 0],
      ['busybox:2', 3],
    ]);
    await untilPasses(async () => {
      const c = (await json(['deploy', 'pz', '-n', ns])).status.conditions.find((x: { type: string }) => x.type === 'Progressing');
      expect(c).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    }, 30_000);
  });

  it('Recreate scales the old ReplicaSet to 0 before the new one comes up', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('rc', 2, { strategy: { type: 'Recreate' } }));
    await rolledOut(ns, 'rc');
    const [old] = await replicaSets(ns, 'rc');
    await k(['set', 'image', 'deployment/rc', 'main=busybox:2', '-n', ns]);
    await rolledOut(ns, 'rc');
    const [, neu] = await replicaSets(ns, 'rc');
    const events = await scalingEvents(ns, 'rc');
    expect(events.slice(-2)).toEqual([
      `Scaled down replica set ${old!.metadata.name} from 2 to 0`,
      `Scaled up replica set ${neu!.metadata.name} from 0 to 2`,
    ]);
  });

  it('scales a stuck rollout proportionally', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('prop', 10, { strategy: { rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    await rolledOut(ns, 'prop');
    // The new template never becomes ready: the rollout stops at 8 old + 5 new.
    await k([
      'patch',
      'deployment/prop',
      '-n',
      ns,
      '-p',
      JSON.stringify({
        spec: {
          template: {
            spec: {
              containers: [{ name: 'main', image: 'busybox:2', readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 } }],
            },
          },
        },
      }),
    ]);
    await untilPasses(async () => {
      const rss = await replicaSets(ns, 'prop');
      expect(rss.map((r) => r.spec.replicas)).toEqual([8, 5]);
      expect(rss[1]!.status.replicas).toBe(5);
    }, 30_000);
    await k(['scale', 'deployment/prop', '--replicas=20', '-n', ns]);
    // 13 → 23 replicas shared by size: 8 → 14 and 5 → 9 (upstream's documented example).
    await untilPasses(async () => {
      const rss = await replicaSets(ns, 'prop');
      expect(rss.map((r) => r.spec.replicas)).toEqual([14, 9]);
      expect(rss.map((r) => r.metadata.annotations?.['deployment.kubernetes.io/max-replicas'])).toEqual(['23', '23']);
    }, 30_000);
    const d = await json(['deploy', 'prop', '-n', ns]);
    expect(d.status.updatedReplicas).toBeLessThanOrEqual(9);
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('hist', 1, { revisionHistoryLimit: 1 }));
    await rolledOut(ns, 'hist');
    for (const tag of ['2', '3', '4']) {
      await k(['set', 'image', 'deployment/hist', `main=busybox:${tag}`, '-n', ns]);
      await rolledOut(ns, 'hist');
    }
    await untilPasses(async () => {
      const rss = await replicaSets(ns, 'hist');
      expect(rss.map((r) => r.spec.template.spec.containers[0].image)).toEqual(['busybox:3', 'busybox:4']);
    }, 30_000);
  });
});

describe('services and deletion', () => {
  it('expose deployment copies the selector and the Service gets the Pods as endpoints', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('ex', 3));
    await rolledOut(ns, 'ex');
    expect((await k(['expose', 'deployment', 'ex', '--port=80', '--target-port=8080', '-n', ns])).stdout.trim()).toBe('service/ex exposed');
    const svc = await json(['svc', 'ex', '-n', ns]);
    expect(svc.spec.selector).toEqual({ app: 'ex' });
    expect(svc.spec.ports).toMatchObject([{ port: 80, targetPort: 8080, protocol: 'TCP' }]);
    const podIPs = (await livePods(ns, 'app=ex')).map((p) => p.status.podIP).sort();
    expect(podIPs).toHaveLength(3);
    await untilPasses(async () => {
      const ep = await json(['endpoints', 'ex', '-n', ns]);
      const ips = (ep as unknown as { subsets?: { addresses?: { ip: string }[] }[] }).subsets
        ?.flatMap((s) => s.addresses ?? [])
        .map((a) => a.ip);
      expect(ips?.sort()).toEqual(podIPs);
    }, 30_000);
  });

  it('delete --cascade=orphan leaves ReplicaSet and Pods, which a new Deployment adopts', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('orph', 2));
    await rolledOut(ns, 'orph');
    const [rs] = await replicaSets(ns, 'orph');
    const pods = (await livePods(ns, 'app=orph')).map((p) => p.metadata.name).sort();
    await k(['delete', 'deployment', 'orph', '--cascade=orphan', '-n', ns]);
    await until(async () => (await k(['get', 'deploy', '-n', ns, '-o', 'name'])).stdout.trim() === '', 30_000);
    await untilPasses(async () => {
      const left = await json(['rs', rs!.metadata.name, '-n', ns]);
      expect(left.metadata.uid).toBe(rs!.metadata.uid);
      expect(left.metadata.ownerReferences).toBeUndefined();
    }, 30_000);
    expect((await livePods(ns, 'app=orph')).map((p) => p.metadata.name).sort()).toEqual(pods);

    // The same Deployment again: it adopts the ReplicaSet instead of making another.
    await k(['apply', '-n', ns, '-f', '-'], deployment('orph', 2));
    await rolledOut(ns, 'orph');
    const d = await json(['deploy', 'orph', '-n', ns]);
    const rss = await replicaSets(ns, d);
    expect(rss.map((r) => r.metadata.uid)).toEqual([rs!.metadata.uid]);
    expect((await livePods(ns, 'app=orph')).map((p) => p.metadata.name).sort()).toEqual(pods);
  });

  it('delete --cascade=background and --cascade=foreground remove the ReplicaSets and Pods', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], deployment('bg', 2));
    await k(['apply', '-n', ns, '-f', '-'], deployment('fg', 2));
    await rolledOut(ns, 'bg');
    await rolledOut(ns, 'fg');
    const [fgRS] = await replicaSets(ns, 'fg');

    await k(['delete', 'deployment', 'bg', '--cascade=background', '-n', ns]);
    await untilPasses(async () => {
      expect((await items(['rs', '-n', ns, '-l', 'app=bg'])).length).toBe(0);
      expect((await items(['pods', '-n', ns, '-l', 'app=bg'])).length).toBe(0);
    }, 30_000);

    // Foreground: the Deployment stays (with its finalizer) until its dependents are gone.
    const del = tc.kubectl(['delete', 'deployment', 'fg', '--cascade=foreground', '-n', ns]);
    const seen = await until(async () => {
      const r = await tc.kubectl(['get', 'deploy', 'fg', '-n', ns, '-o', 'json'], { allowFail: true });
      if (r.code !== 0) return 'gone';
      const d = JSON.parse(r.stdout) as Obj;
      return d.metadata.finalizers?.includes('foregroundDeletion') ? 'finalizer' : undefined;
    }, 30_000);
    expect(['finalizer', 'gone']).toContain(seen);
    expect((await del).stdout.trim()).toBe('deployment.apps "fg" deleted');
    await untilPasses(async () => {
      expect((await tc.kubectl(['get', 'deploy', 'fg', '-n', ns], { allowFail: true })).code).not.toBe(0);
      expect((await tc.kubectl(['get', 'rs', fgRS!.metadata.name, '-n', ns], { allowFail: true })).code).not.toBe(0);
      expect((await items(['pods', '-n', ns, '-l', 'app=fg'])).length).toBe(0);
    }, 30_000);
  });
});

describe('kubectl apply -k', () => {
  it('applies an overlay of a Deployment, Service and ConfigMap with namePrefix and commonLabels', async () => {
    const ns = await newNamespace();
    const base = join(tc.dir, 'kust', 'base');
    const overlay = join(tc.dir, 'kust', 'prod');
    mkdirSync(base, { recursive: true });
    mkdirSync(overlay, { recursive: true });
    writeTemp(
      base,
      'deployment.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: busybox:1
        command: [sh, -c, 'echo "$GREETING"; exec sleep 3600']
        env:
        - name: GREETING
          valueFrom: {configMapKeyRef: {name: web-config, key: greeting}}
`,
    );
    writeTemp(
      base,
      'service.yaml',
      `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`,
    );
    writeTemp(
      base,
      'configmap.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
`,
    );
    writeTemp(base, 'kustomization.yaml', 'resources:\n- deployment.yaml\n- service.yaml\n- configmap.yaml\n');
    writeTemp(
      overlay,
      'kustomization.yaml',
      `resources:
- ../base
namePrefix: prod-
commonLabels:
  env: prod
replicas:
- name: web
  count: 2
`,
    );
    const out = (await k(['apply', '-k', overlay, '-n', ns])).stdout;
    expect(out.trim().split('\n').sort()).toEqual([
      'configmap/prod-web-config created',
      'deployment.apps/prod-web created',
      'service/prod-web created',
    ]);
    await rolledOut(ns, 'prod-web');
    const d = await json(['deploy', 'prod-web', '-n', ns]);
    expect(d.spec.selector.matchLabels).toEqual({ app: 'web', env: 'prod' });
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.name).toBe('prod-web-config');
    const svc = await json(['svc', 'prod-web', '-n', ns]);
    expect(svc.spec.selector).toEqual({ app: 'web', env: 'prod' });
    const pods = await livePods(ns, 'app=web,env=prod');
    expect(pods).toHaveLength(2);
    await untilPasses(async () => {
      const ep = (await json(['endpoints', 'prod-web', '-n', ns])) as unknown as { subsets?: { addresses?: { ip: string }[] }[] };
      expect(ep.subsets?.flatMap((s) => s.addresses ?? []).length).toBe(2);
    }, 30_000);
    const log = await k(['logs', `deployment/prod-web`, '-n', ns]);
    expect(log.stdout.trim()).toBe('hello');
    // Applying again changes nothing.
    const again = (await k(['apply', '-k', overlay, '-n', ns])).stdout;
    expect(again.trim().split('\n').sort()).toEqual([
      'configmap/prod-web-config unchanged',
      'deployment.apps/prod-web unchanged',
      'service/prod-web unchanged',
    ]);
  });
});
