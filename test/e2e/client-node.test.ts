// @kubernetes/client-node against a real cluster: CRUD, a list-watch informer, watch resume and
// 410 Expired after compaction.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { inCIDR } from '../helpers/ranges.js';
import { until } from '../helpers/wait.js';

let cluster: RunningCluster;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  cluster = await startCluster({ apiListen: '127.0.0.1:0' });
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('@kubernetes/client-node', () => {
  it('creates, reads, updates, lists and deletes', async () => {
    const created = await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 as unknown as k8s.IntOrString }] },
      },
    });
    expect(
      inCIDR(cluster.config.serviceCIDR, created.spec!.clusterIP!),
      `${created.spec?.clusterIP} in ${cluster.config.serviceCIDR}`,
    ).toBe(true);
    expect(created.spec?.ports?.[0]?.protocol).toBe('TCP');
    const got = await core.readNamespacedService({ namespace: 'default', name: 'web' });
    expect(got.metadata?.uid).toBe(created.metadata?.uid);
    got.metadata!.labels = { app: 'web', v: '2' };
    const upd = await core.replaceNamespacedService({ namespace: 'default', name: 'web', body: got });
    expect(Number(upd.metadata?.resourceVersion)).toBeGreaterThan(Number(got.metadata?.resourceVersion));
    // A stale resourceVersion is a 409 Conflict.
    await expect(core.replaceNamespacedService({ namespace: 'default', name: 'web', body: got })).rejects.toMatchObject({ code: 409 });
    const list = await core.listNamespacedService({ namespace: 'default', labelSelector: 'v=2' });
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['web']);
    await core.deleteNamespacedService({ namespace: 'default', name: 'web' });
    await expect(core.readNamespacedService({ namespace: 'default', name: 'web' })).rejects.toMatchObject({ code: 404 });
  });

  it('runs an informer that sees add, update and delete', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}:${(o as k8s.V1ConfigMap).data?.k}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' } } });
    await informer.start();
    await until(() => seen.includes('add:before'));
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf' }, data: { k: '1' } } });
    await until(() => seen.includes('add:inf'));
    await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'inf', body: { data: { k: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await until(() => seen.includes('update:inf:2'));
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'inf' });
    await until(() => seen.includes('delete:inf'));
    expect(informer.list().map((o) => o.metadata?.name)).toContain('before');
    await informer.stop();
  });

  it('resumes a watch from a resourceVersion and gets 410 Expired once compacted', async () => {
    const a = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1' } } });
    const from = a.metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w2' } } });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'w1' });
    const watch = new k8s.Watch(kc);
    const events: string[] = [];
    const ctl = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: from },
      (type, obj) => events.push(`${type}:${obj.metadata.name}`),
      () => undefined,
    );
    await until(() => events.length >= 2);
    expect(events).toEqual(['ADDED:w2', 'DELETED:w1']);
    ctl.abort();

    // Compact everything but the newest revision, then watch from the old one.
    cluster.store.compact({ maxAgeMs: 0, keepRevisions: 1 });
    const errs: unknown[] = [];
    const got: { type: string; obj: any }[] = [];
    const ctl2 = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: from },
      (type, obj) => got.push({ type, obj }),
      (e) => errs.push(e),
    );
    await until(() => got.length > 0 || errs.length > 0);
    ctl2.abort();
    if (got.length) {
      expect(got[0]!.type).toBe('ERROR');
      expect(got[0]!.obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
      expect(got[0]!.obj.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    } else {
      expect(String(errs[0])).toContain('410');
    }
  });
});

describe('@kubernetes/client-node and Pods', () => {
  it('creates a Pod, sees it Running with its IP, reads its log, deletes it', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'cn-pod' },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'local/x',
              command: ['sh', '-c', 'echo from $(POD); sleep 1000'],
              env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            },
          ],
        },
      },
    });
    const pod = await until(async () => {
      const p = await core.readNamespacedPod({ namespace: 'default', name: 'cn-pod' });
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p;
    });
    expect(pod?.status?.phase).toBe('Running');
    expect(inCIDR(cluster.config.podCIDR, pod!.status!.podIP!), `${pod?.status?.podIP} in ${cluster.config.podCIDR}`).toBe(true);
    expect(pod?.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeInstanceOf(Date);
    const log = await until(async () => (await core.readNamespacedPodLog({ namespace: 'default', name: 'cn-pod' })) || undefined);
    expect(log).toBe('from cn-pod\n');
    await core.deleteNamespacedPod({ namespace: 'default', name: 'cn-pod', gracePeriodSeconds: 0 });
    await expect(core.readNamespacedPod({ namespace: 'default', name: 'cn-pod' })).rejects.toMatchObject({ code: 404 });
  });
});
