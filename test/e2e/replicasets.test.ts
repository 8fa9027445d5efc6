// ReplicaSets and ReplicationControllers as users drive them: kubectl apply/get/scale/delete
// --cascade=orphan/label, the scale subresource (kubectl scale, raw GET/PUT/PATCH with upstream's
// errors), the Python client's ReplicationController calls, and the controller's upstream
// behaviours: adoption of orphans, release of relabelled Pods, expectations under a burst of
// events, slow-start creation failures that back off with a ReplicaFailure condition, and 422s
// with upstream's texts that store nothing.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until, untilPasses } from '../helpers/wait.js';
import { pythonJson } from '../helpers/python.js';
import { workloadKubectl } from '../helpers/workloads.js';
import { api } from '../helpers/http.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 30_000);
afterAll(async () => {
  await tc?.stop();
});

// Pods need the namespace's default service account (created by its controller).
const { k, fails, get: json, livePods, newNamespace } = workloadKubectl(() => tc, { nsPrefix: 'rs', waitForServiceAccount: true });

interface Pod extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}
/** Pods of the namespace with these labels (not being deleted). */
const podsOf = (ns: string, selector: string) => livePods<Pod>(ns, selector);
const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const ownerUid = (p: KubeObject) => p.metadata.ownerReferences?.find((r) => r.controller)?.uid;

const rsYaml = (name: string, replicas: number, app = name, extra = '') => `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${app}}
  template:
    metadata:
      labels: {app: ${app}}
    spec:
${extra}      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: local/sleep
        command: [sleep, '3600']
`;

describe('ReplicaSets with kubectl', () => {
  it('creates the Pods of a ReplicaSet, lists it with upstream columns, and records SuccessfulCreate', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], rsYaml('web', 3));
    await untilPasses(async () => {
      const pods = await podsOf(ns, 'app=web');
      expect(pods).toHaveLength(3);
      expect(pods.every(ready)).toBe(true);
    }, 30_000);
    const rs = await json(['rs', 'web', '-n', ns]);
    expect(rs.metadata.generation).toBe(1);
    const pods = await podsOf(ns, 'app=web');
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    await untilPasses(async () => {
      const s = (await json(['rs', 'web', '-n', ns])).status;
      expect(s).toEqual({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    }, 10_000);
    const table = (await k(['get', 'rs', '-n', ns])).stdout;
    expect(table).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\n/);
    expect(table).toMatch(/\nweb\s+3\s+3\s+3\s+\d+s\n/);
    const wide = (await k(['get', 'rs', 'web', '-n', ns, '-o', 'wide'])).stdout;
    expect(wide).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
    expect(wide).toMatch(/\nweb\s+3\s+3\s+3\s+\d+s\s+main\s+local\/sleep\s+app=web\n/);
    // The short name and the `all` category.
    expect((await k(['get', 'all', '-n', ns])).stdout).toMatch(/replicaset\.apps\/web\s+3\s+3\s+3/);
    const events = (await json(['events', '-n', ns, '--field-selector', 'involvedObject.kind=ReplicaSet'])).items;
    const created = events.filter((e: { reason: string }) => e.reason === 'SuccessfulCreate');
    expect(created.map((e: { message: string }) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    expect(created[0].source).toEqual({ component: 'replicaset-controller' });
  }, 60_000);

  it('scales with kubectl scale (PATCH of /scale) up and down, deleting the surplus with SuccessfulDelete', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], rsYaml('sc', 1));
    await untilPasses(async () => expect(await podsOf(ns, 'app=sc')).toHaveLength(1), 20_000);
    const out = (await k(['scale', 'rs', 'sc', '-n', ns, '--replicas=4'])).stdout;
    expect(out.trim()).toBe('replicaset.apps/sc scaled');
    await untilPasses(async () => expect(await podsOf(ns, 'app=sc')).toHaveLength(4), 20_000);
    const rs = await json(['rs', 'sc', '-n', ns]);
    expect(rs.spec.replicas).toBe(4);
    expect(rs.metadata.generation).toBe(2);
    await k(['scale', 'rs', 'sc', '-n', ns, '--replicas=2']);
    await untilPasses(async () => expect(await podsOf(ns, 'app=sc')).toHaveLength(2), 20_000);
    await untilPasses(async () => {
      const events = (await json(['events', '-n', ns, '--field-selector', 'reason=SuccessfulDelete'])).items;
      expect(events).toHaveLength(2);
      expect(events[0].message).toMatch(/^Deleted pod: sc-[a-z0-9]{5}$/);
    });
    // --current-replicas is a precondition (kubectl reads the Scale, then PUTs it).
    const refused = await fails(['scale', 'rs', 'sc', '-n', ns, '--current-replicas=3', '--replicas=5']);
    expect(refused).toContain('Expected replicas to be 3, was 2');
    await k(['scale', 'rs', 'sc', '-n', ns, '--current-replicas=2', '--replicas=0']);
    await untilPasses(async () => expect(await podsOf(ns, 'app=sc')).toHaveLength(0), 20_000);
    const scale = (await api(tc.cluster, 'GET', `/apis/apps/v1/namespaces/${ns}/replicasets/sc/scale`)).json();
    expect(scale).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: expect.objectContaining({ name: 'sc', namespace: ns, uid: rs.metadata.uid }),
      spec: {},
      status: expect.objectContaining({ selector: 'app=sc' }),
    });
    // kubectl's writes through /scale are recorded as upstream does: its manager, on the scale subresource.
    const entries = (await json(['rs', 'sc', '-n', ns, '--show-managed-fields'])).metadata.managedFields;
    expect(entries).toContainEqual(
      expect.objectContaining({ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', subresource: 'scale' }),
    );
  }, 60_000);

  it('orphans Pods on delete --cascade=orphan; a new ReplicaSet with the same selector adopts them without creating more', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], rsYaml('first', 2, 'shared'));
    await untilPasses(async () => expect(await podsOf(ns, 'app=shared')).toHaveLength(2), 20_000);
    const before = (await podsOf(ns, 'app=shared')).map((p) => p.metadata.uid).sort();
    await k(['delete', 'rs', 'first', '-n', ns, '--cascade=orphan']);
    await untilPasses(async () => {
      const pods = await podsOf(ns, 'app=shared');
      expect(pods).toHaveLength(2);
      expect(pods.every((p) => !p.metadata.ownerReferences?.length)).toBe(true);
    }, 10_000);
    await k(['apply', '-n', ns, '-f', '-'], rsYaml('second', 2, 'shared'));
    const second = await json(['rs', 'second', '-n', ns]);
    await untilPasses(async () => {
      const pods = await podsOf(ns, 'app=shared');
      expect(pods.map((p) => p.metadata.uid).sort()).toEqual(before);
      expect(pods.every((p) => ownerUid(p) === second.metadata.uid)).toBe(true);
    }, 10_000);
    await untilPasses(async () => expect((await json(['rs', 'second', '-n', ns])).status.readyReplicas).toBe(2), 10_000);
    const events = (await json(['events', '-n', ns, '--field-selector', 'involvedObject.name=second'])).items;
    expect(events.filter((e: { reason: string }) => e.reason === 'SuccessfulCreate')).toEqual([]);
  }, 60_000);

  it('releases a relabelled Pod and replaces it', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], rsYaml('rel', 2));
    await untilPasses(async () => expect(await podsOf(ns, 'app=rel')).toHaveLength(2), 20_000);
    const [victim] = await podsOf(ns, 'app=rel');
    await k(['label', 'pod', victim!.metadata.name!, '-n', ns, 'app=elsewhere', '--overwrite']);
    await untilPasses(async () => {
      const released = await json(['pod', victim!.metadata.name!, '-n', ns]);
      expect(released.metadata.ownerReferences ?? []).toEqual([]);
      const pods = await podsOf(ns, 'app=rel');
      expect(pods).toHaveLength(2);
      expect(pods.map((p) => p.metadata.name)).not.toContain(victim!.metadata.name);
    }, 20_000);
    // Labelled back, it is adopted again and the surplus Pod goes.
    await k(['label', 'pod', victim!.metadata.name!, '-n', ns, 'app=rel', '--overwrite']);
    await untilPasses(async () => expect(await podsOf(ns, 'app=rel')).toHaveLength(2), 20_000);
  }, 60_000);

  it('never creates more Pods than asked under a burst of changes (expectations)', async () => {
    const ns = await newNamespace();
    const added = new Set<string>();
    let maxActive = 0;
    const active = new Set<string>();
    const off = tc.cluster.store.subscribe('pods', (ev) => {
      if (ev.namespace !== ns) return;
      const uid = ev.object.metadata.uid!;
      if (ev.type === 'ADDED') added.add(uid);
      if (ev.type === 'DELETED' || ev.object.metadata.deletionTimestamp) active.delete(uid);
      else active.add(uid);
      maxActive = Math.max(maxActive, active.size);
    });
    try {
      await k(['apply', '-n', ns, '-f', '-'], rsYaml('burst', 6));
      // Every change of the ReplicaSet syncs it again while its Pods are still being created.
      const path = `/apis/apps/v1/namespaces/${ns}/replicasets/burst`;
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api(tc.cluster, 'PATCH', path, {
            body: { metadata: { annotations: { poke: String(i) } } },
            contentType: 'application/merge-patch+json',
          }),
        ),
      );
      await untilPasses(async () => expect((await json(['rs', 'burst', '-n', ns])).status.readyReplicas).toBe(6), 30_000);
      expect(added.size).toBe(6);
      // Down and up again in quick succession.
      for (const n of [2, 5, 3, 6]) await k(['scale', 'rs', 'burst', '-n', ns, `--replicas=${n}`]);
      await untilPasses(async () => {
        expect(await podsOf(ns, 'app=burst')).toHaveLength(6);
        expect((await json(['rs', 'burst', '-n', ns])).status.replicas).toBe(6);
      }, 30_000);
      expect(maxActive).toBeLessThanOrEqual(6);
    } finally {
      off();
    }
  }, 90_000);

  it('refuses invalid ReplicaSets with upstream texts and stores nothing', async () => {
    const ns = await newNamespace();
    const mismatch = rsYaml('bad', 1).replace('labels: {app: bad}', 'labels: {app: other}');
    const out = await fails(['apply', '-n', ns, '-f', '-'], mismatch);
    expect(out).toContain(
      'The ReplicaSet "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    );
    expect(await fails(['get', 'rs', 'bad', '-n', ns])).toContain('replicasets.apps "bad" not found');
    const res = await api(tc.cluster, 'POST', `/apis/apps/v1/namespaces/${ns}/replicasets`, {
      body: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'bad2' },
        spec: {
          replicas: -1,
          selector: {},
          template: { metadata: { labels: { a: 'b' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } },
        },
      },
    });
    expect(res.status).toBe(422);
    expect(res.json().message).toBe(
      'ReplicaSet.apps "bad2" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, ' +
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment, ' +
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"]',
    );
    expect((await api(tc.cluster, 'GET', `/apis/apps/v1/namespaces/${ns}/replicasets/bad2`)).status).toBe(404);
    // The selector is immutable in apps/v1.
    await k(['apply', '-n', ns, '-f', '-'], rsYaml('fixed', 0));
    const patch = await api(tc.cluster, 'PATCH', `/apis/apps/v1/namespaces/${ns}/replicasets/fixed`, {
      body: { spec: { selector: { matchLabels: { app: 'fixed', tier: 'x' } }, template: { metadata: { labels: { tier: 'x' } } } } },
      contentType: 'application/merge-patch+json',
    });
    expect(patch.status).toBe(422);
    expect(patch.json().message).toBe(
      'ReplicaSet.apps "fixed" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"fixed", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
  });
});

describe('the scale subresource', () => {
  it('is in discovery as autoscaling/v1 Scale', async () => {
    const list = (await api(tc.cluster, 'GET', '/apis/apps/v1')).json();
    const scale = list.resources.find((r: { name: string }) => r.name === 'replicasets/scale');
    expect(scale).toEqual({
      name: 'replicasets/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
    const core = (await api(tc.cluster, 'GET', '/api/v1')).json();
    expect(core.resources.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(['replicationcontrollers', 'replicationcontrollers/scale', 'replicationcontrollers/status']),
    );
    const names = (await k(['api-resources', '--api-group=apps', '-o', 'name'])).stdout;
    expect(names).toContain('replicasets.apps');
    const rc = (await k(['api-resources'])).stdout;
    expect(rc).toMatch(/\nreplicationcontrollers\s+rc\s+v1\s+true\s+ReplicationController\n/);
    expect(rc).toMatch(/\nreplicasets\s+rs\s+apps\/v1\s+true\s+ReplicaSet\n/);
    // OpenAPI v3 has its operations and the Scale schema (clients generate `patch...Scale` from them).
    const doc = (await api(tc.cluster, 'GET', '/openapi/v3/apis/apps/v1')).json();
    const path = doc.paths['/apis/apps/v1/namespaces/{namespace}/replicasets/{name}/scale'];
    expect(path.patch.operationId).toBe('patchAppsV1NamespacedReplicaSetScale');
    expect(path.get['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(doc.components.schemas['io.k8s.api.autoscaling.v1.Scale']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    ]);
  });

  it('answers 404, 409 and 422 as upstream and writes spec.replicas of the parent', async () => {
    const ns = await newNamespace();
    const base = `/apis/apps/v1/namespaces/${ns}/replicasets`;
    const missing = await api(tc.cluster, 'GET', `${base}/nope/scale`);
    expect(missing.status).toBe(404);
    expect(missing.json().message).toBe('replicasets/scale.apps "nope" not found');
    const missingPatch = await api(tc.cluster, 'PATCH', `${base}/nope/scale`, {
      body: { spec: { replicas: 1 } },
      contentType: 'application/merge-patch+json',
    });
    expect(missingPatch.status).toBe(404);
    await k(['apply', '-n', ns, '-f', '-'], rsYaml('s', 0));
    const got = (await api(tc.cluster, 'GET', `${base}/s/scale`)).json();
    const put = (body: object) => api(tc.cluster, 'PUT', `${base}/s/scale`, { body });
    const stale = await put({ ...got, metadata: { ...got.metadata, resourceVersion: '1' }, spec: { replicas: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.json().message).toBe(
      'Operation cannot be fulfilled on replicasets.apps "s": the object has been modified; please apply your changes to the latest version and try again',
    );
    const wrongUid = await put({ ...got, metadata: { ...got.metadata, uid: 'not-the-uid' }, spec: { replicas: 1 } });
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.json().message).toBe(
      `Operation cannot be fulfilled on replicasets/scale.apps "s": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${got.metadata.uid}`,
    );
    const negative = await put({ ...got, spec: { replicas: -1 } });
    expect(negative.status).toBe(422);
    expect(negative.json().message).toBe(
      'Scale.autoscaling "s" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    const ok = await put({ ...got, spec: { replicas: 2 } });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=s' } });
    expect(Number(ok.json().metadata.resourceVersion)).toBeGreaterThan(Number(got.metadata.resourceVersion));
    const rs = await json(['rs', 's', '-n', ns]);
    expect(rs.spec.replicas).toBe(2);
    // The controller may have written status since: never older than the write.
    expect(Number(rs.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(ok.json().metadata.resourceVersion));
    expect(rs.metadata.generation).toBe(2);
    // A strategic merge patch (the Python client's default for a dict body).
    const smp = await api(tc.cluster, 'PATCH', `${base}/s/scale`, {
      body: { spec: { replicas: 1 } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(smp.json().spec).toEqual({ replicas: 1 });
    await untilPasses(async () => expect((await json(['rs', 's', '-n', ns])).status.replicas).toBe(1), 20_000);
    expect((await api(tc.cluster, 'GET', `${base}/s/scale`)).json().status).toEqual({ replicas: 1, selector: 'app=s' });
    // dryRun changes nothing.
    const dry = await api(tc.cluster, 'PATCH', `${base}/s/scale?dryRun=All`, {
      body: { spec: { replicas: 7 } },
      contentType: 'application/merge-patch+json',
    });
    expect(dry.json().spec).toEqual({ replicas: 7 });
    expect((await json(['rs', 's', '-n', ns])).spec.replicas).toBe(1);
  }, 60_000);
});

describe('a ReplicaSet that cannot create its Pods', () => {
  it('records FailedCreate, sets ReplicaFailure, backs off instead of hot-looping, and recovers', async () => {
    const ns = await newNamespace();
    // Every failed create is recorded (a new Event, or a higher count of an aggregated one): when each happened.
    const attempts: number[] = [];
    const off = tc.cluster.store.subscribe('events', (ev) => {
      const e = ev.object as KubeObject & { reason?: string; count?: number };
      if (ev.namespace !== ns || e.reason !== 'FailedCreate' || ev.type === 'DELETED') return;
      const before = (ev.prev as { count?: number } | undefined)?.count ?? 0;
      for (let i = before; i < (e.count ?? 1); i++) attempts.push(Date.now());
    });
    try {
      await k(['apply', '-n', ns, '-f', '-'], rsYaml('nosa', 3, 'nosa', '      serviceAccountName: missing\n'));
      await untilPasses(async () => {
        const cond = (await json(['rs', 'nosa', '-n', ns])).status.conditions;
        expect(cond).toEqual([
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: expect.stringMatching(
              /^pods "nosa-" is forbidden: error looking up service account rs-\d+\/missing: serviceaccount "missing" not found$/,
            ),
            lastTransitionTime: expect.any(String),
          },
        ]);
      }, 10_000);
      // Slow start tries one Pod per sync, and failed syncs back off (5 ms doubling): eight
      // attempts take well over 100 ms, where a hot loop would make them in a few.
      await until(() => attempts.length >= 8, 10_000);
      expect(attempts[7]! - attempts[0]!).toBeGreaterThan(100);
    } finally {
      off();
    }
    const ev = (await json(['events', '-n', ns, '--field-selector', 'reason=FailedCreate'])).items[0];
    expect(ev.type).toBe('Warning');
    expect(ev.message).toMatch(/^Error creating: pods "nosa-" is forbidden: error looking up service account/);
    expect((await podsOf(ns, 'app=nosa')).length).toBe(0);
    // Once the account exists, the next sync creates the Pods and clears the condition.
    await k(['create', 'serviceaccount', 'missing', '-n', ns]);
    await k(['annotate', 'rs', 'nosa', '-n', ns, 'poke=1']);
    await untilPasses(async () => {
      const rs = await json(['rs', 'nosa', '-n', ns]);
      expect(rs.status.replicas).toBe(3);
      expect(rs.status.conditions).toBeUndefined();
    }, 40_000);
  }, 90_000);
});

describe('ReplicationControllers', () => {
  it('default selector and labels from the template, scale with kubectl, and list as upstream', async () => {
    const ns = await newNamespace();
    await k(
      ['apply', '-n', ns, '-f', '-'],
      `apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  template:
    metadata:
      labels: {app: legacy, tier: web}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - {name: c, image: local/sleep, command: [sleep, '3600']}
`,
    );
    const rc = await json(['rc', 'legacy', '-n', ns]);
    expect(rc.spec.selector).toEqual({ app: 'legacy', tier: 'web' });
    expect(rc.metadata.labels).toEqual({ app: 'legacy', tier: 'web' });
    expect(rc.spec.replicas).toBe(1);
    await untilPasses(async () => expect(await podsOf(ns, 'app=legacy')).toHaveLength(1), 20_000);
    const [pod] = await podsOf(ns, 'app=legacy');
    expect(pod!.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: rc.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    await k(['scale', 'rc', 'legacy', '-n', ns, '--replicas=3']);
    await untilPasses(async () => expect((await json(['rc', 'legacy', '-n', ns])).status.readyReplicas).toBe(3), 30_000);
    const wide = (await k(['get', 'rc', '-n', ns, '-o', 'wide'])).stdout;
    expect(wide).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
    expect(wide).toMatch(/\nlegacy\s+3\s+3\s+3\s+\d+s\s+c\s+local\/sleep\s+app=legacy,tier=web\n/);
    const events = (await json(['events', '-n', ns, '--field-selector', 'reason=SuccessfulCreate'])).items;
    expect(events[0].source).toEqual({ component: 'replication-controller' });
    expect(events[0].involvedObject.kind).toBe('ReplicationController');
    // Deleting the controller takes its Pods (background cascading through the garbage collector).
    await k(['delete', 'rc', 'legacy', '-n', ns]);
    await untilPasses(async () => expect(await podsOf(ns, 'app=legacy')).toHaveLength(0), 20_000);
  }, 60_000);

  it('refuses an invalid ReplicationController with upstream texts', async () => {
    const ns = await newNamespace();
    const res = await api(tc.cluster, 'POST', `/api/v1/namespaces/${ns}/replicationcontrollers`, {
      body: {
        apiVersion: 'v1',
        kind: 'ReplicationController',
        metadata: { name: 'bad' },
        spec: {
          selector: { app: 'x' },
          template: { metadata: { labels: { app: 'y' } }, spec: { activeDeadlineSeconds: 5, containers: [{ name: 'c', image: 'i' }] } },
        },
      },
    });
    expect(res.status).toBe(422);
    expect(res.json().message).toBe(
      'ReplicationController "bad" is invalid: [spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`, ' +
        'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported]',
    );
    const noSelector = await api(tc.cluster, 'POST', `/api/v1/namespaces/${ns}/replicationcontrollers`, {
      body: { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'bad' }, spec: {} },
    });
    expect(noSelector.json().message).toBe(
      'ReplicationController "bad" is invalid: [spec.selector: Required value, spec.template: Required value]',
    );
    expect((await api(tc.cluster, 'GET', `/api/v1/namespaces/${ns}/replicationcontrollers/bad`)).status).toBe(404);
    const missing = await api(tc.cluster, 'GET', `/api/v1/namespaces/${ns}/replicationcontrollers/bad/scale`);
    expect(missing.json().message).toBe('replicationcontrollers/scale.autoscaling "bad" not found');
  });
});

// ---- the Python client ----

describe('the Python client', () => {
  it('creates and reads a ReplicationController and scales it through its scale subresource', async () => {
    const r = await pythonJson(tc, { script: 'rc_scale.py' }, ['py-frontend', 'sleep']);
    expect(r.created).toEqual({ name: 'py-frontend', replicas: 2, generation: 1 });
    expect(r.read).toEqual({ name: 'py-frontend', replicas: 2 });
    expect(r.patched).toEqual({ kind: 'Scale', apiVersion: 'autoscaling/v1', replicas: 3, selector: 'name=py-frontend', uid: r.after.uid });
    expect(r.scale.replicas).toBe(3);
    expect(r.replaced.replicas).toBe(1);
    expect(r.after.replicas).toBe(1);
    expect(r.after.generation).toBe(3);
    await untilPasses(async () => expect(await podsOf('default', 'name=py-frontend')).toHaveLength(1), 20_000);
    await k(['delete', 'rc', 'py-frontend']);
  }, 60_000);
});
