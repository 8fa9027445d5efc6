// StatefulSets through kubectl as users drive them: a headless Service and a StatefulSet applied
// together, Pods created one at a time in ordinal order with stable names, hostname/subdomain and
// the identity labels, DNS names `web-0.web.<ns>.svc.cluster.local` answered by the cluster DNS,
// scale up and down in order, `rollout status`, `set image` rolled from the highest ordinal down,
// partitioned updates, `rollout history` / `rollout undo`, Parallel pod management, OnDelete,
// failed Pods recreated, the events upstream records, and deletion.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until, untilPasses } from '../helpers/wait.js';
import { dig } from '../helpers/dns.js';
import { spawn } from 'node:child_process';
import { createFakeClock } from '../../src/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPython, lastJsonLine } from '../helpers/python.js';
import { workloadKubectl } from '../helpers/workloads.js';

let tc: TestCluster;
// The controllers' clock is a fake one that moves only when a test says so (minReadySeconds).
const clock = createFakeClock();
beforeAll(async () => {
  tc = await startTestCluster({ clock });
});
afterAll(async () => {
  await tc?.stop();
});

const kube = workloadKubectl(() => tc, { nsPrefix: 'sts' });
const { k, fails, newNamespace } = kube;
const json = (...args: string[]) => kube.get(args);

interface PodLite {
  name: string;
  phase: string;
  ready: boolean;
  deleting: boolean;
  rev: string;
  image: string;
  uid: string;
  ip: string;
}
const podsOf = async (ns: string, app = 'web'): Promise<PodLite[]> =>
  (await json('pods', '-n', ns, '-l', `app=${app}`)).items
    .map((p: any) => ({
      name: p.metadata.name,
      phase: p.status?.phase ?? '',
      ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
      deleting: !!p.metadata.deletionTimestamp,
      rev: p.metadata.labels?.['controller-revision-hash'] ?? '',
      image: p.spec.containers[0].image,
      uid: p.metadata.uid,
      ip: p.status?.podIP ?? '',
    }))
    .sort((a: PodLite, b: PodLite) => a.name.localeCompare(b.name, 'en', { numeric: true }));

function manifest(ns: string, o: { replicas?: number; policy?: string; image?: string; strategy?: string; extra?: string } = {}): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - port: 80
    name: web
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: ${ns}
spec:
  serviceName: web
  replicas: ${o.replicas ?? 3}
  podManagementPolicy: ${o.policy ?? 'OrderedReady'}
${o.strategy ?? ''}  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: ${o.image ?? 'nginx:1.25'}
        command: ['sleep', '3600']
${o.extra ?? ''}`;
}

/**
 * Watches a namespace's Pods (`kubectl get pods --watch`): the order Pods appeared in and the
 * order they started to go (deletionTimestamp set, or deleted), from the time it returns on.
 */
async function recordOrder(ns: string) {
  const appeared: string[] = [];
  const gone: string[] = [];
  const known = new Set((await podsOf(ns)).map((p) => p.uid));
  const going = new Set<string>();
  const p = spawn('kubectl', ['get', 'pods', '-n', ns, '-l', 'app=web', '--watch', '--output-watch-events', '-v=6', '-o', WATCH_FORMAT], {
    env: { ...process.env, ...tc.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const [type, name, uid, deleting] = out.slice(0, nl).split(' ');
      out = out.slice(nl + 1);
      if (!name || !uid) continue;
      if (type === 'ADDED' && !known.has(uid)) {
        known.add(uid);
        appeared.push(name);
      }
      if ((type === 'DELETED' || deleting) && !going.has(uid)) {
        going.add(uid);
        gone.push(name);
      }
    }
  });
  p.stderr.on('data', (d) => (err += d));
  // kubectl -v=6 logs the watch request once its response has started: the watch is in place.
  await until(() => /watch=true.* 200 OK/.test(err) || p.exitCode !== null, { what: 'the kubectl watch' });
  return {
    appeared,
    gone,
    async done() {
      p.kill();
      await new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('close', r)));
    },
  };
}
const WATCH_FORMAT = 'jsonpath={.type} {.object.metadata.name} {.object.metadata.uid} {.object.metadata.deletionTimestamp}{"\\n"}';

describe('StatefulSet with kubectl', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await newNamespace();
  });

  it('applies a headless Service and a StatefulSet; Pods appear one at a time in ordinal order', async () => {
    const order = await recordOrder(ns);
    const out = (await k(['apply', '-f', '-'], manifest(ns))).stdout;
    expect(out).toContain('statefulset.apps/web created');
    await untilPasses(
      async () => {
        const pods = await podsOf(ns);
        expect(pods.map((p) => [p.name, p.phase, p.ready])).toEqual([
          ['web-0', 'Running', true],
          ['web-1', 'Running', true],
          ['web-2', 'Running', true],
        ]);
      },
      { timeout: 30_000 },
    );
    await order.done();
    expect(order.appeared).toEqual(['web-0', 'web-1', 'web-2']);
    // OrderedReady: each Pod was created only after its predecessor was Running and Ready.
    const pods = (await json('pods', '-n', ns, '-l', 'app=web')).items;
    const created = (n: string) => Date.parse(pods.find((p: any) => p.metadata.name === n).metadata.creationTimestamp);
    const readyAt = (n: string) =>
      Date.parse(pods.find((p: any) => p.metadata.name === n).status.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime);
    expect(created('web-1')).toBeGreaterThanOrEqual(readyAt('web-0') - 1000);
    expect(created('web-2')).toBeGreaterThanOrEqual(readyAt('web-1') - 1000);
  });

  it('gives each Pod its identity: name, labels, hostname, subdomain, the controller reference', async () => {
    const set = await json('statefulset', 'web', '-n', ns);
    const pod = await json('pod', 'web-1', '-n', ns);
    expect(pod.spec.hostname).toBe('web-1');
    expect(pod.spec.subdomain).toBe('web');
    expect(pod.metadata.labels).toMatchObject({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-1',
      'apps.kubernetes.io/pod-index': '1',
      'controller-revision-hash': set.status.updateRevision,
    });
    expect(pod.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
  });

  it('reports status and prints NAME READY AGE (wide: CONTAINERS IMAGES); sts is its short name', async () => {
    await untilPasses(async () => {
      const s = (await json('sts', 'web', '-n', ns)).status;
      expect(s).toMatchObject({
        replicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        currentReplicas: 3,
        updatedReplicas: 3,
        observedGeneration: 1,
      });
      expect(s.currentRevision).toBe(s.updateRevision);
      expect(s.currentRevision).toMatch(/^web-[a-z0-9]+$/);
      expect(s.collisionCount).toBe(0);
    });
    const table = (await k(['get', 'sts', '-n', ns])).stdout;
    expect(table).toMatch(/^NAME\s+READY\s+AGE\n/);
    expect(table).toMatch(/\nweb\s+3\/3\s+\d+s\n/);
    const wide = (await k(['get', 'statefulsets', '-n', ns, '-o', 'wide'])).stdout;
    expect(wide).toMatch(/^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\n/);
    expect(wide).toMatch(/\nweb\s+3\/3\s+\d+s\s+web\s+nginx:1\.25\n/);
  });

  it('records one ControllerRevision and upstream events', async () => {
    const revs = (await json('controllerrevisions', '-n', ns)).items;
    expect(revs).toHaveLength(1);
    expect(revs[0].revision).toBe(1);
    expect(revs[0].metadata.ownerReferences[0]).toMatchObject({ kind: 'StatefulSet', name: 'web', controller: true });
    const ev = (await json('events', '-n', ns, '--field-selector', 'involvedObject.kind=StatefulSet')).items;
    const msgs = ev.map((e: any) => `${e.type} ${e.reason} ${e.message} ${e.source.component}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        'Normal SuccessfulCreate create Pod web-0 in StatefulSet web successful statefulset-controller',
        'Normal SuccessfulCreate create Pod web-2 in StatefulSet web successful statefulset-controller',
      ]),
    );
  });

  it('describes the set with its Pods and events', async () => {
    const out = (await k(['describe', 'sts', 'web', '-n', ns])).stdout;
    expect(out).toMatch(/^Name:\s+web$/m);
    expect(out).toMatch(/^Replicas:\s+3 desired \| 3 total$/m);
    expect(out).toMatch(/^Update Strategy:\s+RollingUpdate$/m);
    expect(out).toMatch(/^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(out).toMatch(/Normal\s+SuccessfulCreate\s+\S+\s+statefulset-controller\s+create Pod web-0 in StatefulSet web successful/);
  });

  it('answers web-0.web.<ns>.svc.cluster.local with the Pod IP through the cluster DNS', async () => {
    const port = tc.cluster.ports.dns;
    const pods = await podsOf(ns);
    for (const p of pods.slice(0, 2)) {
      await untilPasses(
        async () => {
          const out = await dig(port, [`${p.name}.web.${ns}.svc.cluster.local`, 'A', '+short']);
          expect(out.trim()).toBe(p.ip);
        },
        { timeout: 10_000 },
      );
    }
    // The headless Service itself answers every ready Pod.
    const all = (await dig(port, [`web.${ns}.svc.cluster.local`, 'A', '+short'])).trim().split('\n').sort();
    expect(all).toEqual(pods.map((p) => p.ip).sort());
  });

  it('scales up and down in order with kubectl scale', async () => {
    let order = await recordOrder(ns);
    expect((await k(['scale', 'sts/web', '-n', ns, '--replicas=5'])).stdout).toContain('statefulset.apps/web scaled');
    await untilPasses(
      async () =>
        expect((await podsOf(ns)).filter((p) => p.ready).map((p) => p.name)).toEqual(['web-0', 'web-1', 'web-2', 'web-3', 'web-4']),
      {
        timeout: 30_000,
      },
    );
    await order.done();
    expect(order.appeared).toEqual(['web-3', 'web-4']);
    order = await recordOrder(ns);
    await k(['scale', 'statefulset', 'web', '-n', ns, '--replicas=2']);
    await untilPasses(async () => expect((await podsOf(ns)).map((p) => p.name)).toEqual(['web-0', 'web-1']), { timeout: 30_000 });
    await order.done();
    expect(order.gone).toEqual(['web-4', 'web-3', 'web-2']);
    await untilPasses(async () => expect((await json('sts', 'web', '-n', ns)).status).toMatchObject({ replicas: 2, readyReplicas: 2 }));
    const scale = JSON.parse((await k(['get', '--raw', `/apis/apps/v1/namespaces/${ns}/statefulsets/web/scale`])).stdout);
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 2, selector: 'app=web' },
    });
  });

  it('rolls a new image from the highest ordinal down; rollout status waits for it', async () => {
    await k(['scale', 'sts/web', '-n', ns, '--replicas=3']);
    await k(['rollout', 'status', 'sts/web', '-n', ns, '--timeout=60s']);
    const before = await podsOf(ns);
    const order = await recordOrder(ns);
    await k(['set', 'image', 'sts/web', '-n', ns, 'web=nginx:1.26']);
    const status = (await k(['rollout', 'status', 'statefulset/web', '-n', ns, '--timeout=60s'])).stdout;
    // kubectl reads a RollingUpdate with a partition (0 by default) as a partitioned roll-out.
    expect(status).toContain('partitioned roll out complete: 3 new pods have been updated...');
    await order.done();
    expect(order.gone).toEqual(['web-2', 'web-1', 'web-0']);
    const after = await podsOf(ns);
    expect(after.map((p) => p.image)).toEqual(['nginx:1.26', 'nginx:1.26', 'nginx:1.26']);
    for (let i = 0; i < 3; i++) expect(after[i]!.uid).not.toBe(before[i]!.uid);
    const s = (await json('sts', 'web', '-n', ns)).status;
    expect(s.currentRevision).toBe(s.updateRevision);
    expect(after.every((p) => p.rev === s.updateRevision)).toBe(true);
    expect((await json('controllerrevisions', '-n', ns)).items).toHaveLength(2);
  });

  it('keeps ordinals below the partition at the old revision', async () => {
    await k(['patch', 'sts/web', '-n', ns, '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}']);
    await k(['set', 'image', 'sts/web', '-n', ns, 'web=nginx:1.27']);
    const status = (await k(['rollout', 'status', 'sts/web', '-n', ns, '--timeout=60s'])).stdout;
    expect(status).toContain('partitioned roll out complete: 1 new pods have been updated...');
    await untilPasses(
      async () =>
        expect((await podsOf(ns)).map((p) => [p.name, p.image, p.ready])).toEqual([
          ['web-0', 'nginx:1.26', true],
          ['web-1', 'nginx:1.26', true],
          ['web-2', 'nginx:1.27', true],
        ]),
      { timeout: 30_000 },
    );
    const s = (await json('sts', 'web', '-n', ns)).status;
    expect(s).toMatchObject({ replicas: 3, updatedReplicas: 1, currentReplicas: 2 });
    expect(s.currentRevision).not.toBe(s.updateRevision);
    // Lowering the partition finishes the roll-out.
    await k(['patch', 'sts/web', '-n', ns, '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}']);
    await k(['rollout', 'status', 'sts/web', '-n', ns, '--timeout=60s']);
    await untilPasses(async () => expect((await podsOf(ns)).map((p) => p.image)).toEqual(['nginx:1.27', 'nginx:1.27', 'nginx:1.27']), {
      timeout: 30_000,
    });
  });

  it('lists revisions with rollout history and goes back with rollout undo', async () => {
    const hist = (await k(['rollout', 'history', 'sts/web', '-n', ns])).stdout;
    expect(hist).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n3\s+<none>/);
    const rev2 = (await k(['rollout', 'history', 'sts/web', '-n', ns, '--revision=2'])).stdout;
    expect(rev2).toContain('nginx:1.26');
    expect((await k(['rollout', 'undo', 'sts/web', '-n', ns])).stdout).toContain('statefulset.apps/web rolled back');
    await k(['rollout', 'status', 'sts/web', '-n', ns, '--timeout=60s']);
    await untilPasses(
      async () =>
        expect((await podsOf(ns)).map((p) => [p.image, p.ready])).toEqual([
          ['nginx:1.26', true],
          ['nginx:1.26', true],
          ['nginx:1.26', true],
        ]),
      { timeout: 30_000 },
    );
    // The old revision was renumbered, not copied.
    const revs = (await json('controllerrevisions', '-n', ns)).items.map((r: any) => r.revision).sort();
    expect(revs).toEqual([1, 3, 4]);
  });

  it('recreates a deleted Pod with the same name', async () => {
    const before = (await podsOf(ns)).find((p) => p.name === 'web-1')!;
    // --wait=false: the replacement (same name) can appear within milliseconds, between kubectl's
    // own GET and LIST, and kubectl's wait for the old UID then never sees its DELETED event.
    await k(['delete', 'pod', 'web-1', '-n', ns, '--wait=false']);
    await untilPasses(
      async () => {
        const p = (await podsOf(ns)).find((x) => x.name === 'web-1');
        expect(p?.uid).toBeDefined();
        expect(p!.uid).not.toBe(before.uid);
        expect(p!.ready).toBe(true);
      },
      { timeout: 30_000 },
    );
  });

  it('deletes the StatefulSet and its Pods', async () => {
    expect((await k(['delete', 'sts', 'web', '-n', ns])).stdout).toContain('statefulset.apps "web" deleted');
    await untilPasses(async () => expect(await podsOf(ns)).toEqual([]), { timeout: 30_000 });
    await until(async () => (await json('controllerrevisions', '-n', ns)).items.length === 0, 10_000);
  });
});

describe('StatefulSet pod management and update strategies', () => {
  it('Parallel creates every Pod without waiting; OrderedReady waits for each to be Ready', async () => {
    const ns = await newNamespace();
    const neverReady = `        readinessProbe:
          exec:
            command: ['false']
          periodSeconds: 1
`;
    await k(['apply', '-f', '-'], manifest(ns, { policy: 'Parallel', extra: neverReady }));
    await k(['apply', '-f', '-'], manifest(ns, { extra: neverReady }).replace(/\bweb\b/g, 'ord'));
    await untilPasses(
      async () =>
        expect((await podsOf(ns)).map((p) => [p.name, p.phase, p.ready])).toEqual([
          ['web-0', 'Running', false],
          ['web-1', 'Running', false],
          ['web-2', 'Running', false],
        ]),
      { timeout: 20_000 },
    );
    await untilPasses(async () => expect((await podsOf(ns, 'ord')).map((p) => [p.name, p.phase])).toEqual([['ord-0', 'Running']]), {
      timeout: 20_000,
    });
    // ord-0 runs but is never Ready: no ord-1, however often the set is synced.
    await k(['annotate', 'sts/ord', '-n', ns, 'poke=1']);
    await untilPasses(async () => expect((await json('sts', 'ord', '-n', ns)).metadata.annotations.poke).toBe('1'));
    await untilPasses(async () => expect((await json('sts', 'ord', '-n', ns)).status).toMatchObject({ replicas: 1, availableReplicas: 0 }));
    expect((await podsOf(ns, 'ord')).map((p) => p.name)).toEqual(['ord-0']);
    const s = (await json('sts', 'web', '-n', ns)).status;
    expect(s).toMatchObject({ replicas: 3, availableReplicas: 0 });
    expect(s.readyReplicas).toBeUndefined();
    // Parallel scale-down removes every condemned Pod at once, ready or not.
    await k(['scale', 'sts/web', '-n', ns, '--replicas=0']);
    await untilPasses(async () => expect(await podsOf(ns)).toEqual([]), { timeout: 20_000 });
    await untilPasses(async () => expect((await json('sts', 'web', '-n', ns)).status).toMatchObject({ replicas: 0, availableReplicas: 0 }));
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it('OnDelete keeps Pods until they are deleted; a deleted Pod comes back at the new revision', async () => {
    const ns = await newNamespace();
    await k(['apply', '-f', '-'], manifest(ns, { replicas: 2, strategy: '  updateStrategy:\n    type: OnDelete\n' }));
    await untilPasses(async () => expect((await podsOf(ns)).map((p) => p.ready)).toEqual([true, true]), { timeout: 20_000 });
    const set = await json('sts', 'web', '-n', ns);
    expect(set.spec.updateStrategy).toEqual({ type: 'OnDelete' });
    await k(['set', 'image', 'sts/web', '-n', ns, 'web=nginx:2']);
    await untilPasses(async () => {
      const s = (await json('sts', 'web', '-n', ns)).status;
      expect(s.observedGeneration).toBe(2);
      expect(s.updateRevision).not.toBe(s.currentRevision);
      expect(s).toMatchObject({ replicas: 2, currentReplicas: 2 });
      expect(s.updatedReplicas).toBeUndefined();
    });
    expect((await podsOf(ns)).map((p) => p.image)).toEqual(['nginx:1.25', 'nginx:1.25']);
    // kubectl refuses rollout status for OnDelete, as upstream.
    expect(await fails(['rollout', 'status', 'sts/web', '-n', ns])).toContain(
      'rollout status is only available for RollingUpdate strategy type',
    );
    // --wait=false: the replacement (same name) can appear within milliseconds, between kubectl's
    // own GET and LIST, and kubectl's wait for the old UID then never sees its DELETED event.
    await k(['delete', 'pod', 'web-1', '-n', ns, '--wait=false']);
    await untilPasses(
      async () =>
        expect((await podsOf(ns)).map((p) => [p.name, p.image, p.ready])).toEqual([
          ['web-0', 'nginx:1.25', true],
          ['web-1', 'nginx:2', true],
        ]),
      { timeout: 20_000 },
    );
    await untilPasses(async () =>
      expect((await json('sts', 'web', '-n', ns)).status).toMatchObject({ currentReplicas: 1, updatedReplicas: 1 }),
    );
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it('replaces a failed Pod', async () => {
    const ns = await newNamespace();
    await k(['apply', '-f', '-'], manifest(ns, { replicas: 1 }));
    await untilPasses(async () => expect((await podsOf(ns)).map((p) => p.ready)).toEqual([true]), { timeout: 20_000 });
    const [before] = await podsOf(ns);
    await k(['patch', 'pod', 'web-0', '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Failed"}}']);
    await untilPasses(
      async () => {
        const pods = await podsOf(ns);
        expect(pods.map((p) => [p.name, p.ready])).toEqual([['web-0', true]]);
        expect(pods[0]!.uid).not.toBe(before!.uid);
      },
      { timeout: 20_000 },
    );
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it("waits minReadySeconds (on the controllers' clock) before the next Pod and counts availableReplicas", async () => {
    const ns = await newNamespace();
    await k(
      ['apply', '-f', '-'],
      manifest(ns, { replicas: 2 }).replace('  serviceName: web\n', '  serviceName: web\n  minReadySeconds: 30\n'),
    );
    await untilPasses(async () => expect((await podsOf(ns)).map((p) => [p.name, p.ready])).toEqual([['web-0', true]]), { timeout: 20_000 });
    await untilPasses(async () =>
      expect((await json('sts', 'web', '-n', ns)).status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 0 }),
    );
    expect((await podsOf(ns)).map((p) => p.name)).toEqual(['web-0']);
    // 30 s after web-0 became Ready (by the controllers' clock) it is available and web-1 follows.
    const readyAt = async () =>
      (await json('pods', '-n', ns, '-l', 'app=web')).items.map((p: any) =>
        Date.parse(p.status.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime),
      ) as number[];
    const [r0] = await readyAt();
    clock.set(r0! + 30_000);
    await untilPasses(
      async () =>
        expect((await podsOf(ns)).map((p) => [p.name, p.ready])).toEqual([
          ['web-0', true],
          ['web-1', true],
        ]),
      {
        timeout: 20_000,
      },
    );
    // web-1 counts as available only once it has been Ready for 30 s too.
    const [, r1] = await readyAt();
    await untilPasses(async () =>
      expect((await json('sts', 'web', '-n', ns)).status).toMatchObject({
        replicas: 2,
        readyReplicas: 2,
        availableReplicas: r1! <= r0! ? 2 : 1,
      }),
    );
    clock.set(r1! + 30_000);
    await untilPasses(async () =>
      expect((await json('sts', 'web', '-n', ns)).status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 }),
    );
    await k(['delete', 'namespace', ns, '--wait=false']);
  });
});

describe('StatefulSet API: defaults and validation', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await newNamespace();
  });
  const minimal = (name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = { app: name }) =>
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace: ns },
      spec: {
        serviceName: name,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } },
        ...spec,
      },
    });

  it("fills in upstream's defaults", async () => {
    const body = JSON.parse(
      minimal('defaults', {
        replicas: 0,
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } } },
        ],
      }),
    );
    delete body.spec.replicas;
    body.spec.replicas = 0;
    await k(['create', '-f', '-'], JSON.stringify(body));
    const set = await json('sts', 'defaults', '-n', ns);
    expect(set.metadata.generation).toBe(1);
    expect(set.spec).toMatchObject({
      replicas: 0,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(set.spec.template.metadata.creationTimestamp).toBeNull();
    expect(set.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 });
    expect(set.spec.volumeClaimTemplates[0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', creationTimestamp: null },
      spec: { volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    });
    const noReplicas = JSON.parse(minimal('one'));
    await k(['create', '-f', '-'], JSON.stringify(noReplicas));
    expect((await json('sts', 'one', '-n', ns)).spec.replicas).toBe(1);
  });

  it('refuses a selector that does not match the template, and bad policies, storing nothing', async () => {
    const out = await fails(['create', '-f', '-'], minimal('bad', {}, { app: 'other' }));
    expect(out).toContain(
      'The StatefulSet "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    );
    const pol = await fails(['create', '-f', '-'], minimal('bad', { podManagementPolicy: 'Sometimes', updateStrategy: { type: 'Never' } }));
    expect(pol).toContain(`spec.podManagementPolicy: Invalid value: "Sometimes": must be 'OrderedReady' or 'Parallel'`);
    expect(pol).toContain(
      `spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Never", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'`,
    );
    const neg = await fails(
      ['create', '-f', '-'],
      minimal('bad', { replicas: -1, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -2 } } }),
    );
    expect(neg).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    expect(neg).toContain('spec.updateStrategy.rollingUpdate.partition: Invalid value: -2: must be greater than or equal to 0');
    const empty = await fails(['create', '-f', '-'], minimal('bad', { selector: { matchLabels: {} } }));
    expect(empty).toContain('empty selector is invalid for statefulset');
    const ondelete = await fails(
      ['create', '-f', '-'],
      minimal('bad', { updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }),
    );
    expect(ondelete).toContain(
      "spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'",
    );
    const retention = await fails(['create', '-f', '-'], minimal('bad', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' } }));
    expect(retention).toContain(
      'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"',
    );
    const svc = await fails(['create', '-f', '-'], minimal('bad', { serviceName: 'Not_A_Label' }));
    expect(svc).toContain('spec.serviceName: Invalid value: "Not_A_Label": a lowercase RFC 1123 label must consist of');
    const restart = JSON.parse(minimal('bad'));
    restart.spec.template.spec.restartPolicy = 'Never';
    expect(await fails(['create', '-f', '-'], JSON.stringify(restart))).toContain(
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    );
    expect(await fails(['get', 'sts', 'bad', '-n', ns])).toContain('statefulsets.apps "bad" not found');
  });

  it('allows changes to replicas, template, updateStrategy and the other listed fields only', async () => {
    await k([
      'patch',
      'sts',
      'one',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"replicas":0,"minReadySeconds":5,"revisionHistoryLimit":3,"updateStrategy":{"type":"OnDelete","rollingUpdate":null},"persistentVolumeClaimRetentionPolicy":{"whenScaled":"Delete"}}}',
    ]);
    const set = await json('sts', 'one', '-n', ns);
    expect(set.metadata.generation).toBe(2);
    expect(set.spec).toMatchObject({ replicas: 0, minReadySeconds: 5, revisionHistoryLimit: 3, updateStrategy: { type: 'OnDelete' } });
    const out = await fails([
      'patch',
      'sts',
      'one',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"serviceName":"other","podManagementPolicy":"Parallel"}}',
    ]);
    expect(out).toContain(
      `The StatefulSet "one" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`,
    );
    // A status write does not change the spec or the generation; status is validated.
    const bad = await fails([
      'patch',
      'sts',
      'one',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"replicas":1,"readyReplicas":2}}',
    ]);
    expect(bad).toContain('status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas');
  });

  it('serves discovery with the short name, the scale subresource and the all category', async () => {
    const res = (await k(['api-resources', '--api-group=apps', '--no-headers'])).stdout;
    expect(res).toMatch(/^statefulsets\s+sts\s+apps\/v1\s+true\s+StatefulSet$/m);
    const disc = JSON.parse((await k(['get', '--raw', '/apis/apps/v1'])).stdout);
    const names = disc.resources.map((r: any) => r.name);
    expect(names).toEqual(expect.arrayContaining(['statefulsets', 'statefulsets/status', 'statefulsets/scale']));
    const sts = disc.resources.find((r: any) => r.name === 'statefulsets');
    expect(sts.categories).toEqual(['all']);
    expect((await k(['get', 'all', '-n', ns])).stdout).toContain('statefulset.apps/one');
  });
});

describe('StatefulSet volumeClaimTemplates', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await newNamespace();
  });
  const DB = (
    name: string,
    replicas: number,
    claim = 'accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Mi}}',
  ) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: ${ns}}
spec:
  serviceName: ${name}
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: db
        image: postgres:16
        command: [sh, -c, 'hostname >> /data/id && sleep 3600']
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data, labels: {tier: storage}}
    spec:
      ${claim}
`;
  const claims = async () =>
    (await json('pvc', '-n', ns)).items
      .map((c: any) => ({
        name: c.metadata.name,
        phase: c.status.phase,
        owners: (c.metadata.ownerReferences ?? []).map((r: any) => `${r.kind}/${r.name}`),
        deleting: !!c.metadata.deletionTimestamp,
      }))
      .sort((a: any, b: any) => a.name.localeCompare(b.name));
  const idFile = async (claim: string) => {
    const c = await json('pvc', claim, '-n', ns);
    const pv = await json('pv', c.spec.volumeName);
    return readFileSync(join(pv.spec.hostPath.path, 'id'), 'utf8');
  };

  it('creates a claim per Pod before the Pod and mounts it', async () => {
    await k(['apply', '-f', '-'], DB('db', 2));
    await untilPasses(
      async () =>
        expect((await podsOf(ns, 'db')).map((p) => [p.name, p.ready])).toEqual([
          ['db-0', true],
          ['db-1', true],
        ]),
      {
        timeout: 30_000,
      },
    );
    expect(await claims()).toEqual([
      { name: 'data-db-0', phase: 'Bound', owners: [], deleting: false },
      { name: 'data-db-1', phase: 'Bound', owners: [], deleting: false },
    ]);
    const c = await json('pvc', 'data-db-0', '-n', ns);
    expect(c.metadata.labels).toEqual({ tier: 'storage', app: 'db' });
    expect(c.spec.resources.requests.storage).toBe('1Mi');
    const pod = await json('pod', 'db-0', '-n', ns);
    expect(pod.spec.volumes.find((v: any) => v.name === 'data')).toEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'data-db-0' },
    });
    await untilPasses(async () => expect(await idFile('data-db-0')).toBe('db-0\n'));
    const ev = (await json('events', '-n', ns, '--field-selector', 'involvedObject.name=db')).items.map(
      (e: any) => `${e.reason} ${e.message}`,
    );
    expect(ev).toContain('SuccessfulCreate create Claim data-db-0 Pod db-0 in StatefulSet db success');
  });

  it('keeps claims (Retain) across a scale-down, and a Pod gets its own data back', async () => {
    await k(['scale', 'sts/db', '-n', ns, '--replicas=1']);
    await untilPasses(async () => expect((await podsOf(ns, 'db')).map((p) => p.name)).toEqual(['db-0']), { timeout: 20_000 });
    expect((await claims()).map((c: any) => c.name)).toEqual(['data-db-0', 'data-db-1']);
    await k(['scale', 'sts/db', '-n', ns, '--replicas=2']);
    await untilPasses(
      async () =>
        expect((await podsOf(ns, 'db')).map((p) => [p.name, p.ready])).toEqual([
          ['db-0', true],
          ['db-1', true],
        ]),
      {
        timeout: 20_000,
      },
    );
    await untilPasses(async () => expect(await idFile('data-db-1')).toBe('db-1\ndb-1\n'));
  });

  it('honours persistentVolumeClaimRetentionPolicy Delete when scaled and when deleted', async () => {
    await k([
      'patch',
      'sts/db',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Delete","whenScaled":"Delete"}}}',
    ]);
    await untilPasses(async () => expect((await claims()).map((c: any) => c.owners)).toEqual([['StatefulSet/db'], ['StatefulSet/db']]));
    await k(['scale', 'sts/db', '-n', ns, '--replicas=1']);
    await untilPasses(async () => expect((await claims()).map((c: any) => c.name)).toEqual(['data-db-0']), { timeout: 20_000 });
    await k(['delete', 'sts', 'db', '-n', ns]);
    await untilPasses(async () => expect(await claims()).toEqual([]), { timeout: 20_000 });
  });

  it('a claim that cannot be created gives a Warning and backs off, never a Pod', async () => {
    await k(['apply', '-f', '-'], DB('broken', 1, 'accessModes: [ReadWriteOnce]'));
    let first = 0;
    await untilPasses(async () => {
      const ev = (await json('events', '-n', ns, '--field-selector', 'involvedObject.name=broken,reason=FailedCreate')).items;
      expect(ev.length).toBeGreaterThan(0);
      expect(ev[0].type).toBe('Warning');
      expect(ev.map((e: any) => e.message).join('\n')).toContain(
        'create Claim data-broken-0 for Pod broken-0 in StatefulSet broken failed error: PersistentVolumeClaim "data-broken-0" is invalid: spec.resources[storage]: Required value',
      );
      first = ev.reduce((n: number, e: any) => n + (e.count ?? 1), 0);
    });
    // A second later: a handful more attempts at most (exponential backoff), and no Pod.
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 1000, { timeout: 2000, every: 100 });
    const ev = (await json('events', '-n', ns, '--field-selector', 'involvedObject.name=broken,reason=FailedCreate')).items;
    const later = ev.reduce((n: number, e: any) => n + (e.count ?? 1), 0);
    expect(later - first).toBeLessThan(20);
    expect(await podsOf(ns, 'broken')).toEqual([]);
    await k(['delete', 'sts', 'broken', '-n', ns]);
  });
});

describe('StatefulSet with the Python client', () => {
  it('creates a StatefulSet, waits for readyReplicas, scales it and deletes it', async () => {
    const ns = await newNamespace();
    const r = await runPython(tc, { script: 'statefulset.py' }, [ns], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const res = lastJsonLine(r.stdout);
    expect(res).toEqual({
      created: { policy: 'OrderedReady', strategy: 'RollingUpdate', partition: 0 },
      ready: 2,
      current: true,
      scale: { replicas: 2, selector: 'app=py-db' },
      ready3: 3,
      pods: [
        ['py-db-0', 'py-db-0', 'py-db'],
        ['py-db-1', 'py-db-1', 'py-db'],
        ['py-db-2', 'py-db-2', 'py-db'],
      ],
      gone: true,
    });
  }, 60_000);
});
