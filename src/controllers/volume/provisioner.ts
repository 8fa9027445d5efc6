// The built-in dynamic provisioner `tinykube.io/local-path`, after k3s's local-path-provisioner
// (a directory per volume on the node) driven the way sig-storage's external provisioners are:
// - a claim that names it (volume.kubernetes.io/storage-provisioner, set by the PV controller),
//   is unbound, and whose class is WaitForFirstConsumer only once volume.kubernetes.io/selected-node
//   is set, gets a directory and a PersistentVolume `pvc-<claim uid>` pre-bound to it (hostPath,
//   node affinity to the node, the class's reclaim policy and mount options, the claim's size,
//   access modes and volume mode); events Provisioning and ProvisioningSucceeded, or
//   ProvisioningFailed (then retried with back-off);
// - a volume it made that is Released with reclaimPolicy Delete loses its directory, then its
//   object (the PV controller leaves those to the provisioner); Retain keeps both.
import { requireDef } from '../../registry/kinds.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { PersistentVolumeObj } from '../../registry/storage/persistentvolume.js';
import type { PersistentVolumeClaimObj } from '../../registry/storage/persistentvolumeclaim.js';
import { LOCAL_PATH_PROVISIONER, type StorageClassObj } from '../../registry/storage/storageclass.js';
import { ANN, classOf } from '../../registry/storage/common.js';
import { StatusError } from '../../apimachinery/errors.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { tolerate, type Controller, type ControllerContext } from '../context.js';
import { PVCS, PVS, STORAGE_CLASSES, claimRefOf, queuesController } from './util.js';
import type { LocalPathStore } from './local-path.js';

const MANAGER = { fieldManager: LOCAL_PATH_PROVISIONER };

export function startLocalPathProvisioner(ctx: ControllerContext, dirs: LocalPathStore): Controller {
  const { store, registry, defs, log, informers, config } = ctx;
  const pvDef = requireDef(defs, '', PVS);
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), `${LOCAL_PATH_PROVISIONER}_${config.nodeName}`, (err) =>
    log.debug({ err }, 'event not recorded'),
  );

  const provision = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const claim = store.get(PVCS, ns, name) as PersistentVolumeClaimObj | undefined;
    if (!claim || claim.metadata.deletionTimestamp || claim.spec?.volumeName) return;
    const ann = claim.metadata.annotations ?? {};
    if ((ann[ANN.storageProvisioner] ?? ann[ANN.betaStorageProvisioner]) !== LOCAL_PATH_PROVISIONER) return;
    const cls = classOf(claim);
    const sc = store.get(STORAGE_CLASSES, '', cls) as StorageClassObj | undefined;
    if (!sc || sc.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const node = ann[ANN.selectedNode];
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !node) return;
    const pvName = `pvc-${claim.metadata.uid}`;
    if (store.get(PVS, '', pvName)) return;
    record(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ns}/${name}"`);
    const nodeName = node ?? config.nodeName;
    let path: string;
    try {
      if (claim.spec?.volumeMode === 'Block') throw new Error('only the Filesystem volume mode is supported');
      if (claim.spec?.selector) throw new Error('claim.Spec.Selector is not supported');
      path = dirs.create(claim.metadata.uid!, ns, name);
    } catch (err) {
      record(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls}": ${(err as Error).message}`);
      throw err;
    }
    const pv: PersistentVolumeObj = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: pvName,
        annotations: { [ANN.provisionedBy]: LOCAL_PATH_PROVISIONER, 'local.path.provisioner/selected-node': nodeName },
      },
      spec: {
        capacity: { storage: claim.spec?.resources?.requests?.storage ?? '0' },
        accessModes: claim.spec?.accessModes,
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: cls,
        volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
        hostPath: { path, type: 'DirectoryOrCreate' },
        nodeAffinity: {
          required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] },
        },
        claimRef: claimRefOf(claim),
        ...(sc.mountOptions?.length ? { mountOptions: sc.mountOptions } : {}),
      },
    };
    try {
      registry.create(pvDef, '', pv, MANAGER);
    } catch (err) {
      if (err instanceof StatusError && err.code === 409) return;
      dirs.remove(path);
      record(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls}": ${(err as Error).message}`);
      throw err;
    }
    record(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
  };

  const reclaim = (name: string) => {
    const pv = store.get(PVS, '', name) as PersistentVolumeObj | undefined;
    if (!pv || pv.metadata.deletionTimestamp) return;
    if (pv.metadata.annotations?.[ANN.provisionedBy] !== LOCAL_PATH_PROVISIONER) return;
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const path = pv.spec.hostPath?.path;
    if (path) dirs.remove(path);
    tolerate(() => registry.delete(pvDef, '', name, { preconditions: { uid: pv.metadata.uid } }), [404, 409]);
  };

  const onErr = (k: string, err: unknown) => log.debug({ err, key: k }, 'local-path provisioner retry');
  const claims = createQueue('local-path-provisioner-claims', provision, onErr);
  const volumes = createQueue('local-path-provisioner-volumes', reclaim, onErr);
  const claimKey = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  const unsubs = [
    informers.for(PVCS).on({ add: (o) => claims.add(claimKey(o)), update: (o) => claims.add(claimKey(o)) }),
    informers.for(PVS).on({ add: (o) => volumes.add(o.metadata.name!), update: (o) => volumes.add(o.metadata.name!) }),
  ];
  return queuesController(unsubs, claims, volumes);
}
