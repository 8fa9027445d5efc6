// Deployments through the API and the client libraries: invalid specs refused with upstream's 422
// texts and field paths (nothing stored), invalid status writes, the selector immutable; a
// Deployment whose ReplicaSet cannot be created reports ReplicaSetCreateError and backs off; and
// the calls users make with @kubernetes/client-node (AppsV1Api create/read/patch/status/scale) and
// the official Python client (its e2e suite's AppsV1Api calls and utils.create_from_yaml).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, writeTemp, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until, untilPasses } from '../helpers/wait.js';
import { PYTHON_FIXTURES, lastJsonLine, runPython } from '../helpers/python.js';

let tc: TestCluster;
let apps: k8s.AppsV1Api;
beforeAll(async () => {
  tc = await startTestCluster();
  const kc = new k8s.KubeConfig();
  kc.loadFromString(tc.cluster.kubeconfig);
  apps = kc.makeApiClient(k8s.AppsV1Api);
}, 30_000);
afterAll(async () => {
  await tc?.stop();
});

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const template = (labels: Record<string, string> = { app: 'x' }, spec: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'main', image: 'busybox:1', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 1, ...spec },
});
const body = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec });
const valid = (extra: Record<string, unknown> = {}) => ({
  replicas: 1,
  selector: { matchLabels: { app: 'x' } },
  template: template(),
  ...extra,
});

interface Case {
  what: string;
  spec: Record<string, unknown>;
  errors: string[];
}

const cases: Case[] = [
  {
    what: 'a selector that does not match the template',
    spec: valid({ template: template({ app: 'other' }) }),
    errors: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`'],
  },
  {
    what: 'an empty selector',
    spec: valid({ selector: {} }),
    errors: [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ],
  },
  {
    what: 'no selector',
    spec: { replicas: 1, template: template() },
    errors: [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
    ],
  },
  {
    what: 'maxSurge and maxUnavailable both 0',
    spec: valid({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }),
    errors: [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    ],
  },
  {
    what: 'percentages of 0 both',
    spec: valid({ strategy: { rollingUpdate: { maxSurge: '0%', maxUnavailable: '0%' } } }),
    errors: [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0',
    ],
  },
  {
    what: 'maxUnavailable over 100%',
    spec: valid({ strategy: { rollingUpdate: { maxUnavailable: '110%' } } }),
    errors: [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}: must not be greater than 100%',
    ],
  },
  {
    what: 'a maxSurge that is no percentage',
    spec: valid({ strategy: { rollingUpdate: { maxSurge: 'lots' } } }),
    errors: [
      "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"lots\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ],
  },
  {
    what: 'a negative maxSurge',
    spec: valid({ strategy: { rollingUpdate: { maxSurge: -1 } } }),
    errors: ['spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0'],
  },
  {
    what: 'Recreate with rollingUpdate',
    spec: valid({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }),
    errors: ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
  },
  {
    what: 'an unknown strategy',
    spec: valid({ strategy: { type: 'BlueGreen' } }),
    errors: [
      'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
    ],
  },
  {
    what: 'progressDeadlineSeconds not above minReadySeconds',
    spec: valid({ minReadySeconds: 10, progressDeadlineSeconds: 10 }),
    errors: ['spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds'],
  },
  {
    what: 'negative counts',
    spec: valid({ replicas: -1, minReadySeconds: -2, revisionHistoryLimit: -3 }),
    errors: [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.minReadySeconds: Invalid value: -2: must be greater than or equal to 0',
      'spec.revisionHistoryLimit: Invalid value: -3: must be greater than or equal to 0',
    ],
  },
  {
    what: 'a template that restarts Never and has a deadline',
    spec: valid({ template: template({ app: 'x' }, { restartPolicy: 'Never', activeDeadlineSeconds: 5 }) }),
    errors: [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    ],
  },
  {
    what: 'a template without containers',
    spec: valid({ template: { metadata: { labels: { app: 'x' } }, spec: { containers: [] } } }),
    errors: ['spec.template.spec.containers: Required value'],
  },
  {
    what: 'a selector with a bad operator',
    spec: valid({ selector: { matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'Near', values: ['a'] }] } }),
    errors: [
      'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", Operator:"Near", Values:[]string{"a"}}}}: invalid label selector',
    ],
  },
];

describe('invalid Deployments', () => {
  for (const c of cases) {
    it(`refuses ${c.what}`, async () => {
      const name = `bad-${cases.indexOf(c)}`;
      const r = await api(tc.cluster, 'POST', DEPLOYMENTS, { body: body(name, c.spec) });
      expect(r.status).toBe(422);
      const s = r.json();
      expect(s).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { name, group: 'apps', kind: 'Deployment' } });
      expect(s.details.causes.map((x: { field: string; message: string }) => `${x.field}: ${x.message}`)).toEqual(c.errors);
      const msg = c.errors.length === 1 ? c.errors[0] : `[${c.errors.join(', ')}]`;
      expect(s.message).toBe(`Deployment.apps "${name}" is invalid: ${msg}`);
      expect((await api(tc.cluster, 'GET', `${DEPLOYMENTS}/${name}`)).status).toBe(404);
    });
  }

  it('kubectl shows the 422 and stores nothing', async () => {
    const r = await tc.kubectl(['create', '-f', '-'], {
      input: JSON.stringify(body('kbad', valid({ template: template({ app: 'y' }) }))),
      allowFail: true,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(
      'The Deployment "kbad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`',
    );
    expect((await tc.kubectl(['get', 'deploy', 'kbad'], { allowFail: true })).code).not.toBe(0);
    expect((await tc.kubectl(['get', 'rs', '-o', 'name'])).stdout).not.toContain('kbad');
  });

  it('keeps the selector immutable and checks status writes', async () => {
    expect((await api(tc.cluster, 'POST', DEPLOYMENTS, { body: body('imm', valid()) })).status).toBe(201);
    const r = await api(tc.cluster, 'PATCH', `${DEPLOYMENTS}/imm`, {
      body: { spec: { selector: { matchLabels: { app: 'y' } }, template: { metadata: { labels: { app: 'y' } } } } },
      contentType: 'application/merge-patch+json',
    });
    expect(r.status).toBe(422);
    expect(r.json().message).toBe(
      'Deployment.apps "imm" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
    const s = await api(tc.cluster, 'PATCH', `${DEPLOYMENTS}/imm/status`, {
      body: { status: { replicas: 1, readyReplicas: 2, availableReplicas: 2 } },
      contentType: 'application/merge-patch+json',
    });
    expect(s.status).toBe(422);
    expect(s.json().details.causes.map((x: { field: string; message: string }) => `${x.field}: ${x.message}`)).toEqual([
      'status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas',
    ]);
    // A spec write never touches status; a status write never touches spec or labels.
    const before = (await api(tc.cluster, 'GET', `${DEPLOYMENTS}/imm`)).json();
    const w = await api(tc.cluster, 'PATCH', `${DEPLOYMENTS}/imm/status`, {
      body: { metadata: { labels: { sneaky: 'yes' } }, spec: { replicas: 7 }, status: { collisionCount: 3 } },
      contentType: 'application/merge-patch+json',
    });
    expect(w.status).toBe(200);
    expect(w.json().spec.replicas).toBe(1);
    expect(w.json().metadata.labels).toEqual(before.metadata.labels);
    expect(w.json().metadata.generation).toBe(before.metadata.generation);
    expect(w.json().status.collisionCount).toBe(3);
    const down = await api(tc.cluster, 'PATCH', `${DEPLOYMENTS}/imm/status`, {
      body: { status: { collisionCount: 1 } },
      contentType: 'application/merge-patch+json',
    });
    expect(down.json().details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'status.collisionCount', message: 'Invalid value: 1: cannot be decremented' },
    ]);
    // Spec and annotation changes raise the generation; a label change does not.
    const g0 = before.metadata.generation;
    const merge = (patch: object) =>
      api(tc.cluster, 'PATCH', `${DEPLOYMENTS}/imm`, { body: patch, contentType: 'application/merge-patch+json' }).then((x) => x.json());
    expect((await merge({ metadata: { labels: { tier: 'a' } } })).metadata.generation).toBe(g0);
    expect((await merge({ metadata: { annotations: { note: 'a' } } })).metadata.generation).toBe(g0 + 1);
    expect((await merge({ spec: { replicas: 2 } })).metadata.generation).toBe(g0 + 2);
    await api(tc.cluster, 'DELETE', `${DEPLOYMENTS}/imm`);
  });
});

describe('a Deployment the controller cannot act on', () => {
  it('reports ReplicaSetCreateError and backs off instead of looping', async () => {
    // Annotations just under the limit: valid on the Deployment, too large on its ReplicaSet once
    // the revision and replica annotations join them.
    const name = 'big';
    const annotations = { big: 'x'.repeat(256 * 1024 - 3 - 40) };
    const created = await api(tc.cluster, 'POST', DEPLOYMENTS, { body: { ...body(name, valid()), metadata: { name, annotations } } });
    expect(created.status).toBe(201);
    const event = async () => {
      const list = await api(
        tc.cluster,
        'GET',
        `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name},reason=ReplicaSetCreateError`)}`,
      );
      return list.json().items[0] as { type: string; message: string; count: number; source: { component: string } } | undefined;
    };
    const first = await until(event, 30_000);
    expect(first.type).toBe('Warning');
    expect(first.source.component).toBe('deployment-controller');
    expect(first.message).toMatch(
      /^Failed to create new replica set "big-[a-z0-9]+": ReplicaSet.apps "big-[a-z0-9]+" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes$/,
    );
    let d: any;
    await untilPasses(async () => {
      d = (await api(tc.cluster, 'GET', `${DEPLOYMENTS}/${name}`)).json();
      expect(d.status.conditions?.find((c: { type: string }) => c.type === 'Progressing')).toMatchObject({
        status: 'False',
        reason: 'ReplicaSetCreateError',
      });
    }, 30_000);
    // Retries continue (the event's count rises), but with backoff and without rewriting the Deployment.
    const rv = d.metadata.resourceVersion;
    const seen = await until(async () => {
      const e = await event();
      return e && e.count >= first.count + 2 ? e : undefined;
    }, 30_000);
    expect(seen.count).toBeLessThan(25);
    expect((await api(tc.cluster, 'GET', `${DEPLOYMENTS}/${name}`)).json().metadata.resourceVersion).toBe(rv);
    await api(tc.cluster, 'DELETE', `${DEPLOYMENTS}/${name}`);
  });
});

describe('@kubernetes/client-node AppsV1Api', () => {
  it('creates, reads, patches and scales a Deployment', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'cn', labels: { app: 'cn' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'cn' } },
          template: {
            metadata: { labels: { app: 'cn' } },
            spec: { containers: [{ name: 'main', image: 'busybox:1', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 1 },
          },
        },
      },
    });
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.strategy?.type).toBe('RollingUpdate');
    expect(created.spec?.template.spec?.containers[0]?.terminationMessagePolicy).toBe('File');
    await untilPasses(async () => {
      const s = await apps.readNamespacedDeploymentStatus({ namespace: 'default', name: 'cn' });
      expect(s.status).toMatchObject({ availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 });
    }, 30_000);
    const patched = await apps.patchNamespacedDeployment(
      { namespace: 'default', name: 'cn', body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:2' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.spec?.template.spec?.containers[0]?.command).toEqual(['sleep', '3600']);
    await untilPasses(async () => {
      const s = await apps.readNamespacedDeployment({ namespace: 'default', name: 'cn' });
      expect(s.status).toMatchObject({ replicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 2 });
      expect(s.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    }, 30_000);
    const scale = await apps.readNamespacedDeploymentScale({ namespace: 'default', name: 'cn' });
    expect(scale.spec?.replicas).toBe(2);
    expect(scale.status?.selector).toBe('app=cn');
    await apps.replaceNamespacedDeploymentScale({ namespace: 'default', name: 'cn', body: { ...scale, spec: { replicas: 4 } } });
    await untilPasses(async () => {
      const rss = await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=cn' });
      expect(rss.items.map((r) => [r.metadata?.annotations?.['deployment.kubernetes.io/revision'], r.spec?.replicas]).sort()).toEqual([
        ['1', 0],
        ['2', 4],
      ]);
    }, 30_000);
    const list = await apps.listNamespacedDeployment({ namespace: 'default' });
    expect(list.items.map((x) => x.metadata?.name)).toContain('cn');
    await apps.deleteNamespacedDeployment({ namespace: 'default', name: 'cn' });
    await untilPasses(async () => {
      const rss = await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=cn' });
      expect(rss.items).toEqual([]);
    }, 30_000);
  });
});

describe('the Python client', () => {
  it('creates, reads, scales, patches and deletes Deployments as its e2e suite does', async () => {
    await tc.kubectl(['create', 'namespace', 'py']);
    const yamlFile = writeTemp(
      tc.dir,
      'py-deploy.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: py-yaml
spec:
  replicas: 1
  selector:
    matchLabels: {app: py-yaml}
  template:
    metadata:
      labels: {app: py-yaml}
    spec:
      containers:
      - name: main
        image: busybox:1
        command: [sleep, "3600"]
`,
    );
    const r = await runPython(tc, { script: 'deployment.py' }, ['py', yamlFile], { timeoutMs: 90_000, cwd: PYTHON_FIXTURES });
    expect(r.code, r.stderr).toBe(0);
    const out = lastJsonLine(r.stdout);
    expect(out).toEqual({
      createdGeneration: 1,
      strategy: 'RollingUpdate',
      maxSurge: '25%',
      conditions: ['Available=True', 'Progressing=True'],
      scale: { replicas: 2, selector: 'app=py-web' },
      revision: '2',
      replicaSets: [
        ['1', 0],
        ['2', 3],
      ],
      fromYaml: ['py-yaml'],
      gone: true,
      leftReplicaSets: 0,
    });
    await untilPasses(async () => {
      const d = JSON.parse((await tc.kubectl(['get', 'deploy', 'py-yaml', '-n', 'py', '-o', 'json'])).stdout);
      expect(d.status.availableReplicas).toBe(1);
    }, 30_000);
  }, 120_000);
});

describe('across a restart', () => {
  it('finds its ReplicaSets again (the template hash is stable) and rolls on from there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-deploy-'));
    try {
      let c = await startTestCluster({ dataDir: dir });
      await c.kubectl(['create', 'deployment', 'keep', '--image=busybox:1', '--replicas=2', '--', 'sleep', '3600']);
      await c.kubectl(['rollout', 'status', 'deployment/keep', '--timeout=60s']);
      await c.kubectl(['set', 'image', 'deployment/keep', 'busybox=busybox:2']);
      await c.kubectl(['rollout', 'status', 'deployment/keep', '--timeout=60s']);
      const rsNames = async () =>
        JSON.parse((await c.kubectl(['get', 'rs', '-o', 'json'])).stdout)
          .items.map((r: { metadata: { name: string; annotations: Record<string, string> } }) => [
            r.metadata.name,
            r.metadata.annotations['deployment.kubernetes.io/revision'],
          ])
          .sort();
      const before = await rsNames();
      expect(before).toHaveLength(2);
      await c.stop();

      c = await startTestCluster({ dataDir: dir });
      await c.kubectl(['rollout', 'status', 'deployment/keep', '--timeout=60s']);
      expect(await rsNames()).toEqual(before);
      const d = JSON.parse((await c.kubectl(['get', 'deploy', 'keep', '-o', 'json'])).stdout);
      expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
      expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
      await c.kubectl(['rollout', 'undo', 'deployment/keep']);
      await c.kubectl(['rollout', 'status', 'deployment/keep', '--timeout=60s']);
      const after = await rsNames();
      expect(after.map((x: string[]) => x[0])).toEqual(before.map((x: string[]) => x[0]));
      expect(after.map((x: string[]) => x[1]).sort()).toEqual(['2', '3']);
      await c.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
