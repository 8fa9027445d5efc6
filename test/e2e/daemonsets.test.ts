// apps/v1 DaemonSets as users drive them: kubectl apply, get (upstream's columns), rollout
// status / history / undo (through ControllerRevisions), set image (a rolling update within
// maxUnavailable), OnDelete, node selectors and node labels, taints (NoSchedule keeps a running
// Pod, NoExecute removes it, tolerations keep it), status counts, events, cascading and orphaning
// deletes; validation with upstream's texts; and the Python client creating one and reading its
// status.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { createFakeClock } from '../../src/index.js';
import { until, untilPasses } from '../helpers/wait.js';
import { pythonJson } from '../helpers/python.js';
import { workloadKubectl } from '../helpers/workloads.js';

let tc: TestCluster;
let node = '';
beforeAll(async () => {
  tc = await startTestCluster();
  node = (await tc.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout.trim();
});
afterAll(async () => {
  await tc?.stop();
});

const { k, fails, get: json, livePods, newNamespace } = workloadKubectl(() => tc, { nsPrefix: 'ds' });
const podsOf = async (ns: string, sel: string) => (await json(['pods', '-n', ns, '-l', sel])).items as any[];

const daemonSet = (name: string, o: { image?: string; extra?: string; spec?: string; podSpec?: string } = {}) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}${o.extra ?? ''}
spec:
  selector:
    matchLabels:
      app: ${name}
${o.spec ?? ''}  template:
    metadata:
      labels:
        app: ${name}
    spec:
      terminationGracePeriodSeconds: 0
${o.podSpec ?? ''}      containers:
      - name: main
        image: ${o.image ?? 'busybox:1'}
        command: ['sleep', '3600']
        readinessProbe:
          exec:
            command: ['true']
          periodSeconds: 1
`;

describe('DaemonSet basics', () => {
  it('runs one Pod on the node, reports status, and prints upstream columns', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('agent'));
    await k(['rollout', 'status', 'ds/agent', '-n', ns, '--timeout=60s']);
    const pods = await livePods(ns, 'app=agent');
    expect(pods).toHaveLength(1);
    const pod = pods[0];
    expect(pod.metadata.name).toMatch(/^agent-[a-z0-9]{5}$/);
    expect(pod.spec.nodeName).toBe(node);
    expect(pod.metadata.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', controller: true, blockOwnerDeletion: true }),
    ]);
    expect(pod.metadata.labels['controller-revision-hash']).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(pod.metadata.labels['pod-template-generation']).toBe('1');
    // The node affinity the controller pins each daemon Pod to its node with.
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
    ]);
    const tolerations = pod.spec.tolerations.map((t: any) => `${t.key}:${t.operator}:${t.effect}`);
    for (const t of [
      'node.kubernetes.io/not-ready:Exists:NoExecute',
      'node.kubernetes.io/unreachable:Exists:NoExecute',
      'node.kubernetes.io/disk-pressure:Exists:NoSchedule',
      'node.kubernetes.io/memory-pressure:Exists:NoSchedule',
      'node.kubernetes.io/pid-pressure:Exists:NoSchedule',
      'node.kubernetes.io/unschedulable:Exists:NoSchedule',
    ])
      expect(tolerations).toContain(t);
    expect(tolerations).not.toContain('node.kubernetes.io/network-unavailable:Exists:NoSchedule');

    const ds = await json(['ds', 'agent', '-n', ns]);
    expect(ds.metadata.annotations['deprecated.daemonset.template.generation']).toBe('1');
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
    expect(ds.status).toMatchObject({
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      numberMisscheduled: 0,
      numberReady: 1,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      observedGeneration: 1,
    });
    expect(ds.status.numberUnavailable).toBeUndefined();

    const table = (await k(['get', 'ds', 'agent', '-n', ns])).stdout;
    expect(table.split('\n')[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
    expect(table.split('\n')[1]).toMatch(/^agent\s+1\s+1\s+1\s+1\s+1\s+<none>\s+\d+s$/);
    const wide = (await k(['get', 'daemonsets.apps', 'agent', '-n', ns, '-o', 'wide'])).stdout;
    expect(wide.split('\n')[0]).toMatch(/AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(wide.split('\n')[1]).toMatch(/\s+main\s+busybox:1\s+app=agent$/);

    const revisions = (await k(['get', 'controllerrevisions', '-n', ns])).stdout;
    expect(revisions.split('\n')[0]).toMatch(/^NAME\s+CONTROLLER\s+REVISION\s+AGE$/);
    expect(revisions).toMatch(new RegExp(`agent-${pod.metadata.labels['controller-revision-hash']}\\s+daemonset.apps/agent\\s+1\\s+`));

    const described = (await k(['describe', 'ds', 'agent', '-n', ns])).stdout;
    expect(described).toMatch(/Desired Number of Nodes Scheduled: 1/);
    expect(described).toMatch(/Pods Status:\s+1 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed/);
    expect(described).toMatch(/SuccessfulCreate\s+\S+\s+daemonset-controller\s+Created pod: agent-/);
    expect((await k(['get', 'all', '-n', ns])).stdout).toContain('daemonset.apps/agent');

    const events = (await k(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=agent', '-o', 'json'])).stdout;
    const ev = JSON.parse(events).items.find((e: any) => e.reason === 'SuccessfulCreate');
    expect(ev).toMatchObject({
      type: 'Normal',
      message: `Created pod: ${pod.metadata.name}`,
      source: { component: 'daemonset-controller' },
    });
  });
});

describe('DaemonSet updates and history', () => {
  it('rolls out a new image, records revisions, and undoes to the previous one', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('web', { image: 'nginx:1.0' }));
    await k(['rollout', 'status', 'ds/web', '-n', ns, '--timeout=60s']);
    const [first] = await livePods(ns, 'app=web');
    const hash1 = first.metadata.labels['controller-revision-hash'];

    await k(['annotate', 'ds/web', '-n', ns, 'kubernetes.io/change-cause=upgrade to 2.0']);
    await k(['set', 'image', 'ds/web', '-n', ns, 'main=nginx:2.0']);
    const out = (await k(['rollout', 'status', 'ds/web', '-n', ns, '--timeout=60s'])).stdout;
    expect(out).toContain('daemon set "web" successfully rolled out');
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=web');
      expect(pods).toHaveLength(1);
      expect(pods[0].spec.containers[0].image).toBe('nginx:2.0');
      expect(pods[0].metadata.labels['controller-revision-hash']).not.toBe(hash1);
      expect(pods[0].metadata.labels['pod-template-generation']).toBe('2');
    });
    const ds = await json(['ds', 'web', '-n', ns]);
    expect(ds.metadata.generation).toBe(2);
    expect(ds.metadata.annotations['deprecated.daemonset.template.generation']).toBe('2');
    expect(ds.status.observedGeneration).toBe(2);
    expect(ds.status.updatedNumberScheduled).toBe(1);

    const history = (await k(['rollout', 'history', 'ds/web', '-n', ns])).stdout;
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE/);
    expect(history).toMatch(/1\s+<none>/);
    expect(history).toMatch(/2\s+upgrade to 2.0/);
    const rev1 = (await k(['rollout', 'history', 'ds/web', '-n', ns, '--revision=1'])).stdout;
    expect(rev1).toContain('nginx:1.0');

    const undo = (await k(['rollout', 'undo', 'ds/web', '-n', ns])).stdout;
    expect(undo).toContain('daemonset.apps/web rolled back');
    await k(['rollout', 'status', 'ds/web', '-n', ns, '--timeout=60s']);
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=web');
      expect(pods).toHaveLength(1);
      expect(pods[0].spec.containers[0].image).toBe('nginx:1.0');
      // The old revision became current again: same hash, renumbered to 3.
      expect(pods[0].metadata.labels['controller-revision-hash']).toBe(hash1);
    });
    await untilPasses(async () => {
      const crs = (await json(['controllerrevisions', '-n', ns])).items as any[];
      expect(crs.map((c) => [c.metadata.labels['controller-revision-hash'], c.revision]).sort((a, b) => a[1] - b[1])).toEqual([
        [expect.any(String), 2],
        [hash1, 3],
      ]);
    });
    // Undoing to the revision that is current already is skipped, as kubectl says.
    const again = (await k(['rollout', 'undo', 'ds/web', '-n', ns, '--to-revision=3'])).stdout;
    expect(again).toContain('skipped rollback (current template already matches revision 3)');

    const events = JSON.parse(
      (await k(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=web', '-o', 'json'])).stdout,
    ).items;
    expect(events.some((e: any) => e.reason === 'SuccessfulDelete' && e.message.startsWith('Deleted pod: web-'))).toBe(true);
  });

  it('restarts its Pods with kubectl rollout restart', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('rs'));
    await k(['rollout', 'status', 'ds/rs', '-n', ns, '--timeout=60s']);
    const [before] = await livePods(ns, 'app=rs');
    expect((await k(['rollout', 'restart', 'ds/rs', '-n', ns])).stdout).toContain('daemonset.apps/rs restarted');
    await k(['rollout', 'status', 'ds/rs', '-n', ns, '--timeout=60s']);
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=rs');
      expect(pods).toHaveLength(1);
      expect(pods[0].metadata.name).not.toBe(before.metadata.name);
      expect(pods[0].metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    });
  });

  it('keeps only revisionHistoryLimit old revisions', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('lim', { spec: '  revisionHistoryLimit: 1\n' }));
    await k(['rollout', 'status', 'ds/lim', '-n', ns, '--timeout=60s']);
    for (const tag of ['2', '3', '4']) {
      await k(['set', 'image', 'ds/lim', '-n', ns, `main=busybox:${tag}`]);
      await k(['rollout', 'status', 'ds/lim', '-n', ns, '--timeout=60s']);
    }
    await untilPasses(async () => {
      const crs = (await json(['controllerrevisions', '-n', ns])).items as any[];
      expect(crs.map((c) => c.revision).sort()).toEqual([3, 4]);
    });
  });

  it('OnDelete replaces a Pod only when it is deleted', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('od', { spec: '  updateStrategy:\n    type: OnDelete\n' }));
    await until(async () => (await livePods(ns, 'app=od')).length === 1);
    const [pod] = await livePods(ns, 'app=od');
    await k(['set', 'image', 'ds/od', '-n', ns, 'main=busybox:2']);
    await untilPasses(async () => {
      const ds = await json(['ds', 'od', '-n', ns]);
      expect(ds.status.observedGeneration).toBe(2);
      expect(ds.status.updatedNumberScheduled).toBeUndefined();
    });
    expect((await livePods(ns, 'app=od')).map((p) => p.metadata.name)).toEqual([pod.metadata.name]);
    await k(['delete', 'pod', pod.metadata.name, '-n', ns, '--wait=false']);
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=od');
      expect(pods).toHaveLength(1);
      expect(pods[0].metadata.name).not.toBe(pod.metadata.name);
      expect(pods[0].spec.containers[0].image).toBe('busybox:2');
    });
  });
});

describe('DaemonSet scheduling', () => {
  it('follows a nodeSelector as the node is labelled and unlabelled', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('sel', { podSpec: '      nodeSelector:\n        tier: edge\n' }));
    await untilPasses(async () => {
      const ds = await json(['ds', 'sel', '-n', ns]);
      expect(ds.status).toMatchObject({ desiredNumberScheduled: 0, currentNumberScheduled: 0, observedGeneration: 1 });
    });
    expect(await livePods(ns, 'app=sel')).toHaveLength(0);
    expect((await k(['get', 'ds', 'sel', '-n', ns])).stdout).toMatch(/sel\s+0\s+0\s+0\s+0\s+0\s+tier=edge\s+/);
    await k(['label', 'node', node, 'tier=edge']);
    try {
      await until(async () => (await livePods(ns, 'app=sel')).length === 1);
      await k(['rollout', 'status', 'ds/sel', '-n', ns, '--timeout=60s']);
    } finally {
      await k(['label', 'node', node, 'tier-']);
    }
    await untilPasses(async () => expect(await livePods(ns, 'app=sel')).toHaveLength(0));
    await untilPasses(async () => {
      const ds = await json(['ds', 'sel', '-n', ns]);
      expect(ds.status).toMatchObject({ desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0 });
    });
  });

  it('honours taints: NoSchedule keeps a running Pod, NoExecute removes it, a toleration keeps it', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('plain'));
    await k(
      ['apply', '-n', ns, '-f', '-'],
      daemonSet('tolerant', { podSpec: '      tolerations:\n      - key: dedicated\n        operator: Exists\n' }),
    );
    await until(async () => (await livePods(ns, 'app in (plain,tolerant)')).length === 2);
    try {
      await k(['taint', 'node', node, 'dedicated=infra:NoSchedule']);
      // Not desired any more, but allowed to keep running: misscheduled.
      await untilPasses(async () => {
        const ds = await json(['ds', 'plain', '-n', ns]);
        expect(ds.status).toMatchObject({ desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 1 });
      });
      expect(await livePods(ns, 'app=plain')).toHaveLength(1);
      await k(['taint', 'node', node, 'dedicated=infra:NoExecute']);
      await untilPasses(async () => expect(await livePods(ns, 'app=plain')).toHaveLength(0));
      expect(await livePods(ns, 'app=tolerant')).toHaveLength(1);
      expect((await json(['ds', 'tolerant', '-n', ns])).status).toMatchObject({ desiredNumberScheduled: 1, numberMisscheduled: 0 });
    } finally {
      await k(['taint', 'node', node, 'dedicated-']);
    }
    await until(async () => (await livePods(ns, 'app=plain')).length === 1);
    await k(['rollout', 'status', 'ds/plain', '-n', ns, '--timeout=60s']);
  });
});

describe('DaemonSet on a cordoned node', () => {
  it('still places its Pod (daemon Pods tolerate unschedulable)', async () => {
    const ns = await newNamespace();
    await k(['cordon', node]);
    try {
      await k(['apply', '-n', ns, '-f', '-'], daemonSet('cordoned'));
      await k(['rollout', 'status', 'ds/cordoned', '-n', ns, '--timeout=60s']);
      const [pod] = await livePods(ns, 'app=cordoned');
      expect(pod.spec.nodeName).toBe(node);
    } finally {
      await k(['uncordon', node]);
    }
  });
});

describe('DaemonSet deletion', () => {
  it('deletes its Pods and revisions in cascade, or orphans them', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('gone'));
    await until(async () => (await livePods(ns, 'app=gone')).length === 1);
    await k(['delete', 'ds', 'gone', '-n', ns, '--cascade=foreground']);
    await untilPasses(async () => {
      expect(await podsOf(ns, 'app=gone')).toHaveLength(0);
      expect((await json(['controllerrevisions', '-n', ns])).items).toHaveLength(0);
    });

    await k(['apply', '-n', ns, '-f', '-'], daemonSet('kept'));
    await until(async () => (await livePods(ns, 'app=kept')).length === 1);
    const [pod] = await livePods(ns, 'app=kept');
    await k(['delete', 'ds', 'kept', '-n', ns, '--cascade=orphan']);
    await untilPasses(async () => {
      const p = await json(['pod', pod.metadata.name, '-n', ns]);
      expect(p.metadata.ownerReferences ?? []).toEqual([]);
    });
    // A new DaemonSet with the same selector adopts the orphan instead of starting another Pod.
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('kept'));
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=kept');
      expect(pods.map((p) => p.metadata.name)).toEqual([pod.metadata.name]);
      expect(pods[0].metadata.ownerReferences?.[0]?.name).toBe('kept');
    });
  });
});

describe('DaemonSet rolling update budgets', () => {
  const unready = (name: string, spec: string) =>
    daemonSet(name, { spec }).replace(
      "command: ['sleep', '3600']\n        readinessProbe:\n          exec:\n            command: ['true']",
      "command: ['sleep', '3600']\n        readinessProbe:\n          exec:\n            command: ['test', '-e', '/nonexistent-ready-file']",
    );

  it('maxUnavailable replaces the old Pod before the new one is ready', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('mu'));
    await k(['rollout', 'status', 'ds/mu', '-n', ns, '--timeout=60s']);
    const [old] = await livePods(ns, 'app=mu');
    // The new template never becomes ready: the old Pod is gone regardless (maxUnavailable 1).
    await k(['apply', '-n', ns, '-f', '-'], unready('mu', ''));
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=mu');
      expect(pods.map((p) => p.metadata.name)).not.toContain(old.metadata.name);
      expect(pods).toHaveLength(1);
    });
    await untilPasses(async () => {
      const ds = await json(['ds', 'mu', '-n', ns]);
      expect(ds.status).toMatchObject({
        desiredNumberScheduled: 1,
        currentNumberScheduled: 1,
        numberReady: 0,
        updatedNumberScheduled: 1,
        numberUnavailable: 1,
      });
      expect(ds.status.numberAvailable).toBeUndefined();
    });
  });

  it('maxSurge starts the new Pod beside the old one and keeps the old until the new is available', async () => {
    const ns = await newNamespace();
    const strategy = '  updateStrategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0\n';
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('surge', { spec: strategy }));
    await k(['rollout', 'status', 'ds/surge', '-n', ns, '--timeout=60s']);
    const [old] = await livePods(ns, 'app=surge');
    await k(['apply', '-n', ns, '-f', '-'], unready('surge', strategy));
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=surge');
      expect(pods).toHaveLength(2);
      expect(pods.map((p) => p.metadata.name)).toContain(old.metadata.name);
    });
    // The old Pod stays, and stays ready, while the new one is not available.
    const still = (await livePods(ns, 'app=surge')).find((p) => p.metadata.name === old.metadata.name);
    expect(still.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    expect((await json(['ds', 'surge', '-n', ns])).status).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1 });
    // A ready new template completes the surge: the old Pod goes once the new one is available.
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('surge', { spec: strategy, image: 'busybox:2' }));
    await k(['rollout', 'status', 'ds/surge', '-n', ns, '--timeout=60s']);
    await untilPasses(async () => {
      const pods = await livePods(ns, 'app=surge');
      expect(pods).toHaveLength(1);
      expect(pods[0].spec.containers[0].image).toBe('busybox:2');
    });
  });
});

describe('DaemonSet a controller cannot act on', () => {
  it('records FailedCreate and backs off, then recovers', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('nosa', { podSpec: '      serviceAccountName: missing\n' }));
    const failed = async () =>
      (
        JSON.parse((await k(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=nosa', '-o', 'json'])).stdout)
          .items as any[]
      ).filter((e) => e.reason === 'FailedCreate');
    const [ev] = await until(async () => (await failed()).length && failed());
    expect(ev.type).toBe('Warning');
    expect(ev.message).toMatch(
      new RegExp(
        `^Error creating: pods "nosa-" is forbidden: error looking up service account ${ns}/missing: serviceaccount "missing" not found$`,
      ),
    );
    await untilPasses(async () =>
      expect((await json(['ds', 'nosa', '-n', ns])).status).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 0 }),
    );
    await k(['create', 'serviceaccount', 'missing', '-n', ns]);
    await until(async () => (await livePods(ns, 'app=nosa')).length === 1, 40_000);
    // Backed off meanwhile: a handful of attempts, not one per tick.
    expect((await failed()).reduce((n, e) => n + e.count, 0)).toBeLessThan(20);
  });
});

describe('DaemonSet validation', () => {
  it('refuses invalid DaemonSets with upstream texts and stores nothing', async () => {
    const ns = await newNamespace();
    const mismatch = daemonSet('bad').replace('      labels:\n        app: bad\n', '      labels:\n        app: other\n');
    expect(await fails(['apply', '-n', ns, '-f', '-'], mismatch)).toContain(
      'The DaemonSet "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    );
    const restart = daemonSet('bad', { podSpec: '      restartPolicy: OnFailure\n' });
    expect(await fails(['apply', '-n', ns, '-f', '-'], restart)).toContain(
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    );
    const both = daemonSet('bad', { spec: '  updateStrategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 1\n' });
    expect(await fails(['apply', '-n', ns, '-f', '-'], both)).toContain(
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    );
    const zero = daemonSet('bad', { spec: '  updateStrategy:\n    rollingUpdate:\n      maxUnavailable: 0\n' });
    expect(await fails(['apply', '-n', ns, '-f', '-'], zero)).toContain(
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
    );
    const pct = daemonSet('bad', { spec: '  updateStrategy:\n    rollingUpdate:\n      maxUnavailable: 150%\n' });
    expect(await fails(['apply', '-n', ns, '-f', '-'], pct)).toContain(
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    );
    const strategy = daemonSet('bad', { spec: '  updateStrategy:\n    type: Sometimes\n' });
    expect(await fails(['apply', '-n', ns, '-f', '-'], strategy)).toContain(
      'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Sometimes", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
    );
    const empty = daemonSet('bad').replace('  selector:\n    matchLabels:\n      app: bad\n', '  selector: {}\n');
    expect(await fails(['apply', '-n', ns, '-f', '-'], empty)).toContain(
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset',
    );
    const negative = daemonSet('bad', { spec: '  minReadySeconds: -1\n  revisionHistoryLimit: -2\n' });
    const neg = await fails(['apply', '-n', ns, '-f', '-'], negative);
    expect(neg).toContain('spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0');
    expect(neg).toContain('spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0');
    expect((await json(['ds', '-n', ns])).items).toHaveLength(0);

    // The selector is immutable.
    await k(['apply', '-n', ns, '-f', '-'], daemonSet('fixed'));
    const moved = JSON.stringify({
      spec: { selector: { matchLabels: { extra: 'x' } }, template: { metadata: { labels: { extra: 'x' } } } },
    });
    expect(await fails(['patch', 'ds', 'fixed', '-n', ns, '--type=merge', '-p', moved])).toContain(
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"fixed", "extra":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
    // Status is the controller's: a spec write cannot change it, and the template generation is the server's.
    const ds = await json(['ds', 'fixed', '-n', ns]);
    ds.status = { ...ds.status, numberMisscheduled: 7 };
    ds.metadata.annotations['deprecated.daemonset.template.generation'] = '9';
    const replaced = JSON.parse((await k(['replace', '-f', '-', '-o', 'json'], JSON.stringify(ds))).stdout);
    expect(replaced.status.numberMisscheduled ?? 0).toBe(0);
    expect(replaced.metadata.annotations['deprecated.daemonset.template.generation']).toBe('1');
    expect(replaced.metadata.generation).toBe(1);
  });

  it('validates ControllerRevisions: data is required and immutable, revision not negative', async () => {
    const ns = await newNamespace();
    const cr = (data: string, revision = 1) => `apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: snap
${data}revision: ${revision}
`;
    expect(await fails(['create', '-n', ns, '-f', '-'], cr(''))).toContain(
      'The ControllerRevision "snap" is invalid: data: Required value: data is mandatory',
    );
    expect(await fails(['create', '-n', ns, '-f', '-'], cr('data: {a: 1}\n', -1))).toContain(
      'revision: Invalid value: -1: must be greater than or equal to 0',
    );
    await k(['create', '-n', ns, '-f', '-'], cr('data: {a: 1}\n'));
    expect((await k(['get', 'controllerrevision', 'snap', '-n', ns])).stdout).toMatch(
      /^NAME\s+CONTROLLER\s+REVISION\s+AGE\nsnap\s+<none>\s+1\s+/,
    );
    expect(await fails(['patch', 'controllerrevision', 'snap', '-n', ns, '--type=merge', '-p', '{"data":{"a":2}}'])).toContain(
      'data: Invalid value',
    );
    expect(await fails(['patch', 'controllerrevision', 'snap', '-n', ns, '--type=merge', '-p', '{"data":{"a":2}}'])).toContain(
      'field is immutable',
    );
    // The revision number may change (that is how a rollback makes an old revision current).
    await k(['patch', 'controllerrevision', 'snap', '-n', ns, '--type=merge', '-p', '{"revision":5}']);
    expect((await json(['controllerrevision', 'snap', '-n', ns])).revision).toBe(5);
  });
});

describe('DaemonSets from the Python client', () => {
  it('creates a DaemonSet and reads its status', async () => {
    const ns = await newNamespace();
    const script = `
import json, sys, time
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
apps = client.AppsV1Api()
ns = sys.argv[2]
body = client.V1DaemonSet(
    metadata=client.V1ObjectMeta(name="pyds"),
    spec=client.V1DaemonSetSpec(
        selector=client.V1LabelSelector(match_labels={"app": "pyds"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "pyds"}),
            spec=client.V1PodSpec(termination_grace_period_seconds=0, containers=[client.V1Container(name="main", image="busybox", command=["sleep", "3600"])]),
        ),
    ),
)
created = apps.create_namespaced_daemon_set(ns, body)
deadline = time.time() + 30
while True:
    ds = apps.read_namespaced_daemon_set_status("pyds", ns)
    s = ds.status
    if s.observed_generation == 1 and s.number_ready == 1 and s.desired_number_scheduled == 1:
        break
    if time.time() > deadline:
        raise SystemExit("not ready: %s" % s)
    time.sleep(0.1)
revs = client.AppsV1Api().list_namespaced_controller_revision(ns)
print(json.dumps({
    "strategy": created.spec.update_strategy.type,
    "maxUnavailable": created.spec.update_strategy.rolling_update.max_unavailable,
    "desired": s.desired_number_scheduled, "current": s.current_number_scheduled, "ready": s.number_ready,
    "available": s.number_available, "updated": s.updated_number_scheduled, "misscheduled": s.number_misscheduled,
    "revisions": [[r.metadata.owner_references[0].name, r.revision] for r in revs.items],
}))
`;
    expect(await pythonJson(tc, { code: script }, [ns], { timeoutMs: 60_000 })).toEqual({
      strategy: 'RollingUpdate',
      maxUnavailable: 1,
      desired: 1,
      current: 1,
      ready: 1,
      available: 1,
      updated: 1,
      misscheduled: 0,
      revisions: [['pyds', 1]],
    });
  });
});

describe("DaemonSet minReadySeconds on the controllers' clock", () => {
  const clock = createFakeClock();
  let fc: TestCluster;
  beforeAll(async () => {
    fc = await startTestCluster({ clock });
  });
  afterAll(async () => {
    await fc?.stop();
  });

  it('counts a ready Pod available only minReadySeconds after it became ready', async () => {
    const yaml = daemonSet('slow', { spec: '  minReadySeconds: 30\n' }).replace(/\n        readinessProbe:[\s\S]*$/, '\n');
    await fc.kubectl(['apply', '-f', '-'], { input: yaml });
    const status = async () => JSON.parse((await fc.kubectl(['get', 'ds', 'slow', '-o', 'json'])).stdout).status;
    await untilPasses(async () =>
      expect(await status()).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1, numberUnavailable: 1 }),
    );
    expect((await status()).numberAvailable).toBeUndefined();
    // Past the Pod's Ready time + 30 s on the controllers' clock: available.
    clock.set(Date.now() + 31_000);
    await untilPasses(async () => expect(await status()).toMatchObject({ numberReady: 1, numberAvailable: 1 }));
    expect((await status()).numberUnavailable).toBeUndefined();
    expect((await fc.kubectl(['rollout', 'status', 'ds/slow', '--timeout=30s'])).stdout).toContain('successfully rolled out');
  });
});
