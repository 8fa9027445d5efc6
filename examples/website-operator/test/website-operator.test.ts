// The Website operator against a real cluster, as envtest suites test controller-runtime
// operators, plus what envtest cannot do: the cluster runs the Deployment's Pods, routes the
// Service's traffic and garbage-collects the children. The cluster enforces RBAC, and the operator
// runs as its ServiceAccount's identity with config/rbac.yaml's ClusterRole only, so a permission
// missing there fails these tests; its webhook is its own HTTPS server on 127.0.0.1 with its own CA.
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startCluster, runKubectl, type RunningCluster } from './tinykube.js';
import { startOperator } from '../src/controller.js';
import { startManager, type Manager } from '../src/manager.js';
import { webhookConfiguration } from '../src/webhook.js';
import { GROUP, PLURAL, VERSION, type Website } from '../src/website.js';

const config = (file: string) => readFileSync(new URL(`../config/${file}`, import.meta.url), 'utf8');
const OPERATOR = 'system:serviceaccount:website-system:website-operator';
const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

let cluster: RunningCluster;
let dir: string;
let admin: k8s.KubeConfig;
let manager: Manager | undefined;
const operatorErrors: string[] = [];

beforeAll(async () => {
  // Nothing here resolves names outside the cluster: a closed loopback port as the upstream resolver
  // keeps the suite off the host's DNS.
  cluster = await startCluster({ authorizationMode: 'RBAC', dnsUpstream: '127.0.0.1:1' });
  dir = mkdtempSync(join(tmpdir(), 'website-operator-'));
  writeFileSync(join(dir, 'admin.kubeconfig'), cluster.kubeconfig, { mode: 0o600 });
  admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);

  // Install what a release would: the CRD and RBAC (envtest's CRDDirectoryPaths), then wait for
  // the CRD to be served.
  const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
  for (const doc of [...k8s.loadAllYaml(config('crd.yaml')), ...k8s.loadAllYaml(config('rbac.yaml'))]) await objects.create(doc);
  const crds = admin.makeApiClient(k8s.ApiextensionsV1Api);
  await vi.waitFor(async () => {
    const crd = await crds.readCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
  });

  // The operator runs as the user its ServiceAccount's token would authenticate as (envtest's AddUser).
  const user = await cluster.addUser({ name: OPERATOR, groups: ['system:serviceaccounts', 'system:serviceaccounts:website-system'] });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(user.kubeconfig);
  manager = await startManager(kc, {
    webhook: { host: '127.0.0.1' },
    onError: (what, err) => operatorErrors.push(`${what}: ${apiMessage(err)}`),
  });
  // Its webhook, on loopback with its own CA, is trusted through the configuration's caBundle only.
  await admin.makeApiClient(k8s.AdmissionregistrationV1Api).createValidatingWebhookConfiguration({
    body: webhookConfiguration(k8s.loadYaml(config('webhook.yaml')), manager.webhook),
  });
});

afterAll(async () => {
  await manager?.stop();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The API's own message of a failed request (client-node's ApiException carries the Status as its body). */
function apiMessage(err: unknown): string {
  if (!(err instanceof k8s.ApiException)) return String(err);
  try {
    return `${err.code}: ${(JSON.parse(String(err.body)) as { message?: string }).message}`;
  } catch {
    return `${err.code}: ${String(err.body)}`;
  }
}

/** kubectl as the cluster's admin (an installer or a user of the operator). */
const kubectl = (args: string[], input?: string) =>
  runKubectl(['--kubeconfig', join(dir, 'admin.kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], {
    input,
    allowFail: true,
  });

const website = (name: string, spec: string) => `apiVersion: ${GROUP}/${VERSION}
kind: Website
metadata:
  name: ${name}
  namespace: default
spec:
${spec}`;

const agnhostSpec = (replicas: number) => `  image: ${AGNHOST}
  args: [netexec, --http-port=8080]
  port: 8080
  replicas: ${replicas}
  healthPath: /healthz
`;

const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const getWebsite = async (name: string) =>
  (await admin
    .makeApiClient(k8s.CustomObjectsApi)
    .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name })) as Website;
const waitFor = (check: () => Promise<void>, timeout = 20_000) => vi.waitFor(check, { timeout, interval: 50 });

describe('the Website operator', () => {
  it('has exactly the permissions of its ClusterRole', async () => {
    const reviews = admin.makeApiClient(k8s.AuthorizationV1Api);
    const can = async (verb: string, group: string, resource: string, subresource = '') =>
      (
        await reviews.createSubjectAccessReview({
          body: {
            spec: {
              user: OPERATOR,
              groups: ['system:serviceaccounts', 'system:serviceaccounts:website-system'],
              resourceAttributes: { verb, group, resource, subresource, namespace: 'default' },
            },
          },
        })
      ).status?.allowed;
    expect(await can('watch', GROUP, 'websites')).toBe(true);
    expect(await can('patch', GROUP, 'websites', 'status')).toBe(true);
    expect(await can('create', 'apps', 'deployments')).toBe(true);
    // It never deletes (the garbage collector does), never writes a Website's spec, never reads Secrets.
    expect(await can('delete', 'apps', 'deployments')).toBe(false);
    expect(await can('update', GROUP, 'websites')).toBe(false);
    expect(await can('list', '', 'secrets')).toBe(false);
    const r = await kubectl(['auth', 'can-i', 'delete', 'services', `--as=${OPERATOR}`]);
    expect([r.code, r.stdout.trim()]).toEqual([1, 'no']);

    // An identity without the binding cannot even start it: its informers' first list is refused.
    const stranger = new k8s.KubeConfig();
    stranger.loadFromString((await cluster.addUser({ name: 'system:serviceaccount:default:stranger' })).kubeconfig);
    await expect(startOperator(stranger)).rejects.toMatchObject({ code: 403 });
  });

  it('creates a Deployment and a Service owned by the Website, runs its Pods and reports them available', async () => {
    const created = await kubectl(['apply', '-f', '-'], website('web', agnhostSpec(2)));
    expect(created.stderr).toBe('');
    const site = await getWebsite('web');
    const owner = { apiVersion: `${GROUP}/${VERSION}`, kind: 'Website', name: 'web', uid: site.metadata!.uid, controller: true };

    let deployment!: k8s.V1Deployment;
    let service!: k8s.V1Service;
    await waitFor(async () => {
      deployment = await apps().readNamespacedDeployment({ namespace: 'default', name: 'web' });
      service = await core().readNamespacedService({ namespace: 'default', name: 'web' });
    });
    expect(deployment.metadata?.ownerReferences).toMatchObject([owner]);
    expect(service.metadata?.ownerReferences).toMatchObject([owner]);
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.template.spec?.containers[0]).toMatchObject({ image: AGNHOST, args: ['netexec', '--http-port=8080'] });

    // The Pods run (agnhost is a program tinykube runs itself), pass their readiness probe, and
    // the status reaches the Website through the Deployment's.
    await waitFor(async () => {
      const s = (await getWebsite('web')).status;
      expect(s).toMatchObject({ replicas: 2, availableReplicas: 2, observedGeneration: site.metadata!.generation });
      expect(s?.conditions).toMatchObject([{ type: 'Ready', status: 'True', message: '2 of 2 replicas available' }]);
    });
    // Reconciling again and again (on every change of the Deployment's status) applied the same
    // Deployment: server-side apply left its spec alone.
    const applied = await apps().readNamespacedDeployment({ namespace: 'default', name: 'web' });
    expect(applied.metadata?.generation).toBe(1);
    expect(applied.metadata?.managedFields?.find((f) => f.operation === 'Apply')?.manager).toBe('website-operator');
    const pods = await core().listNamespacedPod({ namespace: 'default', labelSelector: (await getWebsite('web')).status!.selector });
    expect(pods.items.map((p) => p.status?.phase)).toEqual(['Running', 'Running']);

    // The printer columns of the CRD.
    const table = await kubectl(['get', 'websites']);
    expect(table.stdout).toMatch(/^NAME\s+IMAGE\s+DESIRED\s+AVAILABLE\s+READY\s+AGE\n/);
    expect(table.stdout).toMatch(new RegExp(`^web\\s+${AGNHOST.replace(/\./g, '\\.')}\\s+2\\s+2\\s+True\\s+\\d+s$`, 'm'));

    // Traffic: the Service's ClusterIP (a loopback address) reaches one of the Pods once the
    // service proxy has their endpoints.
    await waitFor(async () => {
      const res = await fetch(`http://${service.spec!.clusterIP}:80/hostname`);
      expect(pods.items.map((p) => p.metadata?.name)).toContain(await res.text());
    });
  });

  it('scales through the scale subresource: kubectl scale website', async () => {
    const r = await kubectl(['scale', 'website', 'web', '--replicas=3']);
    expect(r.stdout.trim()).toBe('website.examples.tinykube.dev/web scaled');
    await waitFor(async () => {
      expect((await apps().readNamespacedDeployment({ namespace: 'default', name: 'web' })).spec?.replicas).toBe(3);
      expect((await getWebsite('web')).status).toMatchObject({ replicas: 3, availableReplicas: 3 });
    });
    const scale = await kubectl(['get', '--raw', `/apis/${GROUP}/${VERSION}/namespaces/default/${PLURAL}/web/scale`]);
    expect(JSON.parse(scale.stdout)).toMatchObject({
      kind: 'Scale',
      spec: { replicas: 3 },
      status: { replicas: 3, selector: 'app.kubernetes.io/name=website,app.kubernetes.io/instance=web' },
    });
  });

  it('puts back a child deleted behind its back', async () => {
    const before = await core().readNamespacedService({ namespace: 'default', name: 'web' });
    await core().deleteNamespacedService({ namespace: 'default', name: 'web' });
    await waitFor(async () => {
      const after = await core().readNamespacedService({ namespace: 'default', name: 'web' });
      expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
      expect(after.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Website', name: 'web', controller: true });
    });
  });

  it('refuses unpinned images through its validating webhook', async () => {
    const latest = await kubectl(['apply', '-f', '-'], website('bad', '  image: nginx:latest\n  port: 80\n'));
    expect(latest.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": admission webhook "vwebsite.examples.tinykube.dev" denied the request: ' +
        'spec.image: Invalid value: "nginx:latest": the latest tag is not allowed: pin a version tag or a digest',
    );
    const untagged = await kubectl(['apply', '-f', '-'], website('bad', '  image: nginx\n  port: 80\n'));
    expect(untagged.stderr).toContain(
      'denied the request: spec.image: Invalid value: "nginx": an image without a tag runs the latest tag: pin a version tag or a digest',
    );
    // Updates too: the running Website keeps its image.
    const update = await kubectl(['patch', 'website', 'web', '--type=merge', '-p', '{"spec":{"image":"nginx:latest"}}']);
    expect(update.code).toBe(1);
    expect(update.stderr).toContain('admission webhook "vwebsite.examples.tinykube.dev" denied the request');
    expect((await getWebsite('web')).spec.image).toBe(AGNHOST);
    // A registry's port is not a tag; a digest pins.
    const pinned = await kubectl(
      ['apply', '--dry-run=server', '-f', '-'],
      website('pinned', `  image: localhost:5000/nginx@sha256:${'0'.repeat(64)}\n  port: 80\n`),
    );
    expect([pinned.code, pinned.stdout.trim()]).toEqual([0, 'website.examples.tinykube.dev/pinned created (server dry run)']);
  });

  it('refuses what the schema and its CEL rule refuse', async () => {
    const r = await kubectl(
      ['apply', '-f', '-'],
      website('bad', '  image: nginx:1.27\n  port: 80\n  healthPath: healthz\n  replicas: 11\n'),
    );
    // The CEL rule is on spec (it could compare fields): its error names the field of its fieldPath,
    // and for a value the type of the schema it is on, as kube-apiserver v1.32 does.
    expect(r.stderr.trim()).toBe(
      'The Website "bad" is invalid: \n' +
        '* spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10\n' +
        '* spec.healthPath: Invalid value: "object": healthPath must be an absolute path (start with /)',
    );
  });

  it('leaves deleting the children to the garbage collector', async () => {
    const r = await kubectl(['delete', 'website', 'web']);
    expect(r.stdout.trim()).toBe('website.examples.tinykube.dev "web" deleted');
    await waitFor(async () => {
      await expect(apps().readNamespacedDeployment({ namespace: 'default', name: 'web' })).rejects.toMatchObject({ code: 404 });
      await expect(core().readNamespacedService({ namespace: 'default', name: 'web' })).rejects.toMatchObject({ code: 404 });
      expect((await core().listNamespacedPod({ namespace: 'default', labelSelector: 'app.kubernetes.io/instance=web' })).items).toEqual([]);
    });
    // Every reconcile succeeded the first time: no permission was missing, no write conflicted.
    expect(operatorErrors).toEqual([]);
  });
});
