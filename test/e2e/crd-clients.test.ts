// Custom resources as client libraries use them: @kubernetes/client-node's ApiextensionsV1Api,
// CustomObjectsApi and an informer on a custom resource (the pattern of operators), the official
// Python client's CustomObjectsApi (create, merge patch, the status and scale subresources, a
// watch), and a cluster restarted on its data directory serving its CRDs from the first request.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';
import { pythonJson } from '../helpers/python.js';

const GROUP = 'apps.example.com';

/** The CRD as client-node types it (`_enum`, `_default`: its serializer writes enum and default). */
const crd = (): k8s.V1CustomResourceDefinition => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `databases.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'databases', singular: 'database', kind: 'Database', shortNames: ['db'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['engine'],
                properties: {
                  engine: { type: 'string', _enum: ['postgres', 'mysql'] } as k8s.V1JSONSchemaProps,
                  replicas: { type: 'integer', minimum: 0, _default: 1 } as k8s.V1JSONSchemaProps,
                },
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' }, phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
});

/** The same CRD as JSON on the wire. */
const crdJSON = () => JSON.parse(JSON.stringify(crd()).replaceAll('"_enum"', '"enum"').replaceAll('"_default"', '"default"'));

describe('@kubernetes/client-node', () => {
  let tc: TestCluster;
  let kc: k8s.KubeConfig;
  beforeAll(async () => {
    tc = await startTestCluster();
    kc = new k8s.KubeConfig();
    kc.loadFromString(tc.cluster.kubeconfig);
  }, 60_000);
  afterAll(async () => {
    await tc?.stop();
  });

  it('creates a CRD, waits for Established, and runs an informer on its objects', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const created = await ext.createCustomResourceDefinition({ body: crd() });
    // client-node serialises _enum/_default as enum/default: the schema arrives with them.
    expect(created.spec.versions[0]!.schema!.openAPIV3Schema!.properties!.spec!.properties!.engine!._enum).toEqual(['postgres', 'mysql']);
    await until(async () => {
      const c = await ext.readCustomResourceDefinition({ name: `databases.${GROUP}` });
      return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') || undefined;
    });
    const objects = kc.makeApiClient(k8s.CustomObjectsApi);
    const path = `/apis/${GROUP}/v1/namespaces/default/databases`;
    const informer = k8s.makeInformer<k8s.KubernetesObject>(
      kc,
      path,
      () => objects.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: 'default', plural: 'databases' }) as never,
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}:${(o as { status?: { phase?: string } }).status?.phase}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    const db = await objects.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: 'default',
      plural: 'databases',
      body: { apiVersion: `${GROUP}/v1`, kind: 'Database', metadata: { name: 'orders' }, spec: { engine: 'postgres' } },
    });
    expect(db.spec).toEqual({ engine: 'postgres', replicas: 1 });
    await until(() => seen.includes('add:orders'));
    await objects.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: 'v1',
        namespace: 'default',
        plural: 'databases',
        name: 'orders',
        body: { status: { phase: 'Ready', replicas: 1 } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await until(() => seen.includes('update:orders:Ready'));
    await expect(
      objects.createNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace: 'default',
        plural: 'databases',
        body: { apiVersion: `${GROUP}/v1`, kind: 'Database', metadata: { name: 'bad' }, spec: { engine: 'oracle' } },
      }),
    ).rejects.toMatchObject({ code: 422 });
    await objects.deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: 'default', plural: 'databases', name: 'orders' });
    await until(() => seen.includes('delete:orders'));
    await informer.stop();
  });
});

describe('the Python client', () => {
  let tc: TestCluster;
  beforeAll(async () => {
    tc = await startTestCluster();
    await api(tc.cluster, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crdJSON() });
    await until(async () => (await api(tc.cluster, 'GET', `/apis/${GROUP}/v1`)).status === 200 || undefined);
  }, 60_000);
  afterAll(async () => {
    await tc?.stop();
  });

  it('creates, patches, scales and watches custom objects with CustomObjectsApi', async () => {
    const r = await pythonJson(tc, {
      code: `
import json, sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
co = client.CustomObjectsApi()
G, V, P = "${GROUP}", "v1", "databases"
out = {}
body = {"apiVersion": G + "/v1", "kind": "Database", "metadata": {"name": "inventory"}, "spec": {"engine": "mysql", "extra": 1}}
# This client sends no fieldValidation: the server's default (Warn) prunes the unknown field.
created = co.create_namespaced_custom_object(G, V, "default", P, body)
out["spec"] = created["spec"]
patched = co.patch_namespaced_custom_object(G, V, "default", P, "inventory", {"spec": {"replicas": 2}})
out["generation"] = patched["metadata"]["generation"]
co.patch_namespaced_custom_object_scale(G, V, "default", P, "inventory", {"spec": {"replicas": 4}})
out["scale"] = co.get_namespaced_custom_object_scale(G, V, "default", P, "inventory")["spec"]["replicas"]
w = watch.Watch()
for ev in w.stream(co.list_namespaced_custom_object, G, V, "default", P, timeout_seconds=5):
    out["watched"] = [ev["type"], ev["object"]["metadata"]["name"], ev["object"]["spec"]["replicas"]]
    w.stop()
print(json.dumps(out))
`,
    });
    expect(r).toEqual({
      spec: { engine: 'mysql', replicas: 1 },
      generation: 2,
      scale: 4,
      watched: ['ADDED', 'inventory', 4],
    });
  });
});

describe('a restarted cluster', () => {
  let dataDir: string;
  let cluster: RunningCluster | undefined;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tinykube-crd-restart-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves its CRDs and their objects from the first request', async () => {
    cluster = await startCluster({ dataDir, apiListen: '127.0.0.1:0', dnsUpstream: '127.0.0.1:1' });
    await api(cluster, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crdJSON() });
    await until(async () => (await api(cluster!, 'GET', `/apis/${GROUP}/v1`)).status === 200 || undefined);
    const made = await api(cluster, 'POST', `/apis/${GROUP}/v1/namespaces/default/databases`, {
      body: { apiVersion: `${GROUP}/v1`, kind: 'Database', metadata: { name: 'kept' }, spec: { engine: 'postgres' } },
    });
    expect(made.status).toBe(201);
    await cluster.stop();
    cluster = await startCluster({ dataDir, apiListen: '127.0.0.1:0', dnsUpstream: '127.0.0.1:1' });
    const got = await api(cluster, 'GET', `/apis/${GROUP}/v1/namespaces/default/databases/kept`);
    expect([got.status, got.json().spec]).toEqual([200, { engine: 'postgres', replicas: 1 }]);
    const agg = (
      await api(cluster, 'GET', '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' })
    ).json();
    expect(agg.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain(GROUP);
  });
});
