// Volumes that persist: PersistentVolumeClaims of the default StorageClass `local-path` bound by the
// built-in provisioner (WaitForFirstConsumer: at the first scheduled Pod; Immediate: at once),
// static PersistentVolumes bound by the PV controller, claims mounted into Pods (readOnly
// honoured), data that outlives its Pod and a restart of tinykube with a data dir, reclaimPolicy
// Delete and Retain, the protection finalizers, Table columns as kubectl prints them, upstream's
// validation texts, and the Python client.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until, untilPasses } from '../helpers/wait.js';
import { runPython } from '../helpers/python.js';

let tc: TestCluster;
let hostDir: string;
beforeAll(async () => {
  tc = await startTestCluster({ podBackoff: { initialMs: 300, maxMs: 2000 } });
  hostDir = mkdtempSync(join(tmpdir(), 'tinykube-pv-'));
});
afterAll(async () => {
  await tc?.stop();
  rmSync(hostDir, { recursive: true, force: true });
});

const apply = (yaml: string, c: TestCluster = tc) => c.kubectl(['apply', '-f', '-'], { input: yaml });
const getJSON = async (args: string[], c: TestCluster = tc) => JSON.parse((await c.kubectl([...args, '-o', 'json'])).stdout);
const events = async (kind: string, name: string) =>
  (
    (await getJSON(['get', 'events', '--field-selector', `involvedObject.name=${name},involvedObject.kind=${kind}`])).items as {
      reason: string;
      message: string;
      type: string;
    }[]
  ).map((e) => `${e.type} ${e.reason}: ${e.message}`);
const logs = async (name: string, c: TestCluster = tc) => (await c.kubectl(['logs', name], { allowFail: true })).stdout;
/** The columns of a `kubectl get` line (split on 2+ spaces). */
const cols = (line: string) => line.trim().split(/\s{2,}/);
const row = (out: string, name: string) => cols(out.split('\n').find((l) => l.startsWith(name))!);

const claim = (name: string, extra = '', size = '1Gi') => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: ${size}}}
${extra}`;

const pod = (name: string, claimName: string, script: string, opts: { readOnly?: boolean } = {}) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: local/sh
    command: [sh, -c, ${JSON.stringify(script)}]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: ${claimName}${opts.readOnly ? ', readOnly: true' : ''}}}]
`;

describe('the default StorageClass', () => {
  it('is local-path of the built-in provisioner, WaitForFirstConsumer, Delete; `kubectl get sc` marks it (default)', async () => {
    const out = (await tc.kubectl(['get', 'sc'])).stdout;
    expect(cols(out.split('\n')[0]!)).toEqual(['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    expect(row(out, 'local-path').slice(0, 5)).toEqual([
      'local-path (default)',
      'tinykube.io/local-path',
      'Delete',
      'WaitForFirstConsumer',
      'false',
    ]);
    const sc = await getJSON(['get', 'storageclass', 'local-path']);
    expect(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class']).toBe('true');
  });
});

describe('dynamic provisioning (WaitForFirstConsumer)', () => {
  let pvName = '';
  it('waits for a consumer, then provisions, binds and mounts the claim into the Pod', async () => {
    await apply(claim('data'));
    const c0 = await getJSON(['get', 'pvc', 'data']);
    // DefaultStorageClass admission and the protection finalizer, at create.
    expect(c0.spec.storageClassName).toBe('local-path');
    expect(c0.spec.volumeMode).toBe('Filesystem');
    expect(c0.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    await untilPasses(async () =>
      expect(await events('PersistentVolumeClaim', 'data')).toContain(
        'Normal WaitForFirstConsumer: waiting for first consumer to be created before binding',
      ),
    );
    expect((await getJSON(['get', 'pvc', 'data'])).status.phase).toBe('Pending');
    expect((await getJSON(['get', 'pv'])).items.filter((p: any) => p.spec.claimRef?.name === 'data')).toEqual([]);

    await apply(pod('writer', 'data', 'echo persisted > /data/f.txt && echo wrote && sleep 3600'));
    await until(async () => (await logs('writer')).includes('wrote'), { timeout: 20_000 });
    const c = await getJSON(['get', 'pvc', 'data']);
    expect(c.status.phase).toBe('Bound');
    pvName = `pvc-${c.metadata.uid}`;
    expect(c.spec.volumeName).toBe(pvName);
    expect(c.metadata.annotations).toMatchObject({
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.kubernetes.io/selected-node': expect.any(String),
      'volume.kubernetes.io/storage-provisioner': 'tinykube.io/local-path',
    });
    expect(c.status.capacity).toEqual({ storage: '1Gi' });
    const pv = await getJSON(['get', 'pv', pvName]);
    expect(pv.spec).toMatchObject({
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'local-path',
      claimRef: { namespace: 'default', name: 'data', uid: c.metadata.uid },
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
    });
    expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].key).toBe('kubernetes.io/hostname');
    expect(pv.metadata.annotations['pv.kubernetes.io/provisioned-by']).toBe('tinykube.io/local-path');
    expect(pv.metadata.finalizers).toEqual(['kubernetes.io/pv-protection']);
    // The Pod's file is in the volume's directory on the host.
    expect(readFileSync(join(pv.spec.hostPath.path, 'f.txt'), 'utf8')).toBe('persisted\n');
    const ev = await events('PersistentVolumeClaim', 'data');
    expect(ev).toContain(
      "Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'tinykube.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
    );
    expect(ev).toContain('Normal Provisioning: External provisioner is provisioning volume for claim "default/data"');
    expect(ev).toContain(`Normal ProvisioningSucceeded: Successfully provisioned volume ${pvName}`);
  });

  it('prints claims and volumes with upstream columns', async () => {
    const pvc = (await tc.kubectl(['get', 'pvc'])).stdout;
    expect(cols(pvc.split('\n')[0]!)).toEqual([
      'NAME',
      'STATUS',
      'VOLUME',
      'CAPACITY',
      'ACCESS MODES',
      'STORAGECLASS',
      'VOLUMEATTRIBUTESCLASS',
      'AGE',
    ]);
    expect(row(pvc, 'data ').slice(0, 7)).toEqual(['data', 'Bound', pvName, '1Gi', 'RWO', 'local-path', '<unset>']);
    const pv = (await tc.kubectl(['get', 'pv', '-o', 'wide'])).stdout;
    expect(cols(pv.split('\n')[0]!)).toEqual([
      'NAME',
      'CAPACITY',
      'ACCESS MODES',
      'RECLAIM POLICY',
      'STATUS',
      'CLAIM',
      'STORAGECLASS',
      'VOLUMEATTRIBUTESCLASS',
      'REASON',
      'AGE',
      'VOLUMEMODE',
    ]);
    const r = row(pv, pvName);
    expect(r.slice(0, 8)).toEqual([pvName, '1Gi', 'RWO', 'Delete', 'Bound', 'default/data', 'local-path', '<unset>']);
    expect(r.at(-1)).toBe('Filesystem');
  });

  it('keeps the data when the Pod is deleted and created again; readOnly claims are mounted read-only', async () => {
    await tc.kubectl(['delete', 'pod', 'writer', '--wait=true']);
    await apply(pod('reader', 'data', 'cat /data/f.txt; touch /data/x 2>/dev/null && echo rw || echo ro; sleep 3600', { readOnly: true }));
    await until(async () => /persisted\n(ro|rw)/.test(await logs('reader')), { timeout: 20_000 });
    expect(await logs('reader')).toBe('persisted\nro\n');
  });

  it('keeps a claim in use by a Pod until the Pod is gone (pvc-protection), then deletes its volume and directory (Delete)', async () => {
    const pv = await getJSON(['get', 'pv', pvName]);
    const dir = pv.spec.hostPath.path as string;
    expect(existsSync(dir)).toBe(true);
    await tc.kubectl(['delete', 'pvc', 'data', '--wait=false']);
    // In use: Terminating, still bound.
    await untilPasses(async () => expect(row((await tc.kubectl(['get', 'pvc', 'data'])).stdout, 'data')[1]).toBe('Terminating'));
    expect((await getJSON(['get', 'pv', pvName])).status.phase).toBe('Bound');
    await tc.kubectl(['delete', 'pod', 'reader', '--wait=true']);
    await until(async () => (await tc.kubectl(['get', 'pvc', 'data'], { allowFail: true })).code !== 0, { timeout: 15_000 });
    await until(async () => (await tc.kubectl(['get', 'pv', pvName], { allowFail: true })).code !== 0, { timeout: 15_000 });
    expect(existsSync(dir)).toBe(false);
  });
});

describe('a Pod whose claim is not there yet', () => {
  it('waits in ContainerCreating with FailedMount, and starts once the claim is bound', async () => {
    await apply(pod('early', 'later', 'cat /data/none 2>/dev/null; echo started; sleep 3600'));
    await untilPasses(async () =>
      expect(await events('Pod', 'early')).toContain(
        'Warning FailedMount: Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[data]: error processing PVC default/later: failed to fetch PVC from API server: persistentvolumeclaims "later" not found',
      ),
    );
    const p = await getJSON(['get', 'pod', 'early']);
    expect(p.status.containerStatuses[0].state.waiting.reason).toBe('ContainerCreating');
    await apply(claim('later'));
    await until(async () => (await logs('early')).includes('started'), { timeout: 20_000 });
    expect((await getJSON(['get', 'pvc', 'later'])).status.phase).toBe('Bound');
    await tc.kubectl(['delete', 'pod', 'early', '--wait=false']);
  });
});

describe('Immediate binding and reclaimPolicy Retain', () => {
  it('provisions a claim of an Immediate class without a Pod; Retain keeps the volume Released with its data', async () => {
    await apply(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: keep}
provisioner: tinykube.io/local-path
reclaimPolicy: Retain
`);
    const sc = await getJSON(['get', 'sc', 'keep']);
    expect(sc.volumeBindingMode).toBe('Immediate');
    await apply(claim('kept', '  storageClassName: keep', '64Mi'));
    const bound = await until(async () => {
      const c = await getJSON(['get', 'pvc', 'kept']);
      return c.status.phase === 'Bound' ? c : undefined;
    });
    const pv = await getJSON(['get', 'pv', bound.spec.volumeName]);
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    writeFileSync(join(pv.spec.hostPath.path, 'keep.txt'), 'kept');
    await tc.kubectl(['delete', 'pvc', 'kept']);
    await untilPasses(async () => {
      const r = row((await tc.kubectl(['get', 'pv', pv.metadata.name])).stdout, pv.metadata.name);
      expect(r.slice(3, 6)).toEqual(['Retain', 'Released', 'default/kept']);
    });
    expect(readFileSync(join(pv.spec.hostPath.path, 'keep.txt'), 'utf8')).toBe('kept');
    // A Released volume may be deleted (pv-protection lets it go), its directory stays.
    await tc.kubectl(['delete', 'pv', pv.metadata.name]);
    expect(existsSync(pv.spec.hostPath.path)).toBe(true);
  });
});

describe('static PersistentVolumes', () => {
  it('binds a claim to the smallest matching volume of its class (selector, size, access modes), which a Pod then uses', async () => {
    writeFileSync(join(hostDir, 'hello.txt'), 'from the host\n');
    await apply(`apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-big, labels: {tier: gold}}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  storageClassName: manual
  hostPath: {path: ${hostDir}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-small, labels: {tier: gold}}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: {path: ${hostDir}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-other, labels: {tier: bronze}}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: {path: ${hostDir}}
`);
    const pv0 = await getJSON(['get', 'pv', 'manual-small']);
    expect(pv0.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(pv0.spec.volumeMode).toBe('Filesystem');
    await untilPasses(async () => expect((await getJSON(['get', 'pv', 'manual-small'])).status.phase).toBe('Available'));
    await apply(claim('static', '  storageClassName: manual\n  selector: {matchLabels: {tier: gold}}'));
    await untilPasses(async () => {
      const c = await getJSON(['get', 'pvc', 'static']);
      expect(c.status.phase).toBe('Bound');
      expect(c.spec.volumeName).toBe('manual-small');
      expect(c.status.capacity).toEqual({ storage: '2Gi' });
    });
    const pv = await getJSON(['get', 'pv', 'manual-small']);
    expect(pv.status.phase).toBe('Bound');
    expect(pv.metadata.annotations['pv.kubernetes.io/bound-by-controller']).toBe('yes');
    expect((await getJSON(['get', 'pv', 'manual-big'])).status.phase).toBe('Available');
    await apply(pod('static-reader', 'static', 'cat /data/hello.txt; sleep 3600'));
    await until(async () => (await logs('static-reader')).includes('from the host'), { timeout: 20_000 });
    await tc.kubectl(['delete', 'pod', 'static-reader', '--wait=false']);
  });

  it('leaves a claim Pending with upstream events when nothing matches and its class does not exist', async () => {
    await apply(claim('toobig', '  storageClassName: manual', '100Gi'));
    await untilPasses(async () =>
      expect(await events('PersistentVolumeClaim', 'toobig')).toContain(
        'Warning ProvisioningFailed: storageclass.storage.k8s.io "manual" not found',
      ),
    );
    expect((await getJSON(['get', 'pvc', 'toobig'])).status.phase).toBe('Pending');
    await apply(claim('noclass', '  storageClassName: ""', '100Gi'));
    await untilPasses(async () =>
      expect(await events('PersistentVolumeClaim', 'noclass')).toContain(
        'Normal FailedBinding: no persistent volumes available for this claim and no storage class is set',
      ),
    );
    // A volume that fits appears: the waiting claim binds to it.
    await apply(`apiVersion: v1
kind: PersistentVolume
metadata: {name: late}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: ${hostDir}}
`);
    await untilPasses(async () => expect((await getJSON(['get', 'pvc', 'noclass'])).spec.volumeName).toBe('late'));
  });
});

describe('bad input', () => {
  const create = async (body: object, path = '/api/v1/namespaces/default/persistentvolumeclaims') => {
    const r = await api(tc.cluster, 'POST', path, { body });
    return { status: r.status, message: r.json().message as string };
  };

  it('refuses invalid claims with upstream texts and stores nothing', async () => {
    const r = await create({ metadata: { name: 'bad' }, spec: { accessModes: ['Foo', 'ReadWriteOncePod'] } });
    expect(r.status).toBe(422);
    expect(r.message).toBe(
      'PersistentVolumeClaim "bad" is invalid: [spec.accessModes: Unsupported value: "Foo": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod", spec.resources[storage]: Required value]',
    );
    const r2 = await create({ metadata: { name: 'bad2' }, spec: { resources: { requests: { storage: '0' } }, volumeMode: 'Raw' } });
    expect(r2.message).toBe(
      'PersistentVolumeClaim "bad2" is invalid: [spec.accessModes: Required value: at least 1 access mode is required, spec.resources[storage]: Invalid value: "0": must be greater than zero, spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"]',
    );
    const r3 = await create({
      metadata: { name: 'bad3' },
      spec: { accessModes: ['ReadWriteOncePod', 'ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    expect(r3.message).toBe(
      'PersistentVolumeClaim "bad3" is invalid: spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
    );
    expect((await api(tc.cluster, 'GET', '/api/v1/namespaces/default/persistentvolumeclaims/bad')).status).toBe(404);
  });

  it('refuses invalid volumes with upstream texts', async () => {
    const r = await create({ metadata: { name: 'badpv' }, spec: { accessModes: ['ReadWriteOnce'] } }, '/api/v1/persistentvolumes');
    expect(r.status).toBe(422);
    expect(r.message).toBe(
      'PersistentVolume "badpv" is invalid: [spec.capacity: Required value, spec.capacity: Unsupported value: core.ResourceList(nil): supported values: "storage", spec: Required value: must specify a volume type]',
    );
    const r2 = await create(
      {
        metadata: { name: 'badpv2' },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Keep',
          hostPath: { path: '/tmp/../etc' },
          nfs: { server: 'x', path: '/x' },
        },
      },
      '/api/v1/persistentvolumes',
    );
    expect(r2.message).toBe(
      'PersistentVolume "badpv2" is invalid: [spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain", spec.hostPath.path: Invalid value: "/tmp/../etc": must not contain \'..\', spec.nfs: Forbidden: may not specify more than 1 volume type]',
    );
    const r3 = await create(
      { metadata: { name: 'badpv3' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], local: { path: '/x' } } },
      '/api/v1/persistentvolumes',
    );
    expect(r3.message).toBe('PersistentVolume "badpv3" is invalid: spec.nodeAffinity: Required value: Local volume requires node affinity');
  });

  it('refuses changes of a claim spec, of class parameters, and a resize the class does not allow', async () => {
    await apply(claim('fixed', '  storageClassName: keep', '10Mi'));
    await untilPasses(async () => expect((await getJSON(['get', 'pvc', 'fixed'])).status.phase).toBe('Bound'));
    const p = await tc.kubectl(['patch', 'pvc', 'fixed', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}'], { allowFail: true });
    expect(p.code).not.toBe(0);
    expect(p.stderr).toContain(
      'The PersistentVolumeClaim "fixed" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    );
    const grow = await tc.kubectl(['patch', 'pvc', 'fixed', '-p', '{"spec":{"resources":{"requests":{"storage":"20Mi"}}}}'], {
      allowFail: true,
    });
    expect(grow.stderr).toContain(
      'persistentvolumeclaims "fixed" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    );
    const sc = await tc.kubectl(['patch', 'sc', 'keep', '-p', '{"parameters":{"a":"b"},"reclaimPolicy":"Delete"}'], { allowFail: true });
    expect(sc.stderr).toContain('parameters: Forbidden: updates to parameters are forbidden.');
    expect(sc.stderr).toContain('reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.');
    const bad = await create(
      { metadata: { name: 'badsc' }, provisioner: '', reclaimPolicy: 'Recycle', volumeBindingMode: 'Later' },
      '/apis/storage.k8s.io/v1/storageclasses',
    );
    expect(bad.status).toBe(422);
    expect(bad.message).toBe(
      'StorageClass.storage.k8s.io "badsc" is invalid: [provisioner: Required value, reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain", volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"]',
    );
  });
});

describe('the Python client', () => {
  it('creates a claim and reads it back bound', async () => {
    const script = `
import json, sys, time
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
body = client.V1PersistentVolumeClaim(
    metadata=client.V1ObjectMeta(name="py-claim"),
    spec=client.V1PersistentVolumeClaimSpec(
        access_modes=["ReadWriteOnce"], storage_class_name="keep",
        resources=client.V1ResourceRequirements(requests={"storage": "5Mi"})))
created = v1.create_namespaced_persistent_volume_claim("default", body)
for _ in range(200):
    c = v1.read_namespaced_persistent_volume_claim("py-claim", "default")
    if c.status.phase == "Bound":
        break
    time.sleep(0.05)
print(json.dumps({"class": created.spec.storage_class_name, "phase": c.status.phase, "volume": c.spec.volume_name, "capacity": c.status.capacity}))
`;
    const out = await runPython(tc, { code: script });
    expect(out.stderr).toBe('');
    const got = JSON.parse(out.stdout.trim());
    expect(got).toMatchObject({ class: 'keep', phase: 'Bound', capacity: { storage: '5Mi' } });
    expect(got.volume).toMatch(/^pvc-/);
  });
});

describe('a restart of tinykube with a data dir', () => {
  it('keeps the claim bound and its data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tinykube-pv-data-'));
    try {
      let c = await startTestCluster({ dataDir, apiListen: '127.0.0.1:0', podBackoff: { initialMs: 300, maxMs: 2000 } });
      let pvName: string;
      try {
        await apply(claim('durable'), c);
        await apply(pod('w', 'durable', 'echo survived > /data/f.txt && echo done'), c);
        await until(async () => (await logs('w', c)).includes('done'), { timeout: 20_000 });
        const pvc = await getJSON(['get', 'pvc', 'durable'], c);
        pvName = pvc.spec.volumeName;
        const pv = await getJSON(['get', 'pv', pvName], c);
        expect(pv.spec.hostPath.path).toBe(join(dataDir, 'storage', `${pvName}_default_durable`));
      } finally {
        await c.stop();
      }
      c = await startTestCluster({ dataDir, apiListen: '127.0.0.1:0', podBackoff: { initialMs: 300, maxMs: 2000 } });
      try {
        expect((await getJSON(['get', 'pvc', 'durable'], c)).status.phase).toBe('Bound');
        await apply(pod('r', 'durable', 'cat /data/f.txt'), c);
        await until(async () => (await logs('r', c)).includes('survived'), { timeout: 20_000 });
        expect((await getJSON(['get', 'pv', pvName!], c)).status.phase).toBe('Bound');
      } finally {
        await c.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
