// The storage-object-in-use protection controllers (pkg/controller/volume/pvcprotection and
// pvprotection): a claim being deleted keeps kubernetes.io/pvc-protection while a scheduled,
// not yet terminated Pod uses it; a volume being deleted keeps kubernetes.io/pv-protection while
// it is Bound. When nothing uses it any more the finalizer goes and the deletion completes.
import { requireDef } from '../../registry/kinds.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { PersistentVolumeObj } from '../../registry/storage/persistentvolume.js';
import type { PersistentVolumeClaimObj } from '../../registry/storage/persistentvolumeclaim.js';
import { PVC_PROTECTION, PV_PROTECTION } from '../../registry/storage/common.js';
import { clone } from '../../apimachinery/meta.js';
import { createQueue } from '../queue.js';
import { tolerate, type Controller, type ControllerContext } from '../context.js';
import { PVCS, PVS, addClaimIndex, claimUsers, podClaimNames, queuesController } from './util.js';

const MANAGER = { fieldManager: 'kube-controller-manager' };

export function startProtectionControllers(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, informers } = ctx;
  const pvcDef = requireDef(defs, '', PVCS);
  const pvDef = requireDef(defs, '', PVS);
  const pods = informers.for('pods');
  addClaimIndex(pods);

  const removeFinalizer = (def: typeof pvcDef, obj: KubeObject, finalizer: string) => {
    const next = clone(obj);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    tolerate(() => registry.update(def, obj.metadata.namespace ?? '', obj.metadata.name!, next, MANAGER), [404]);
  };

  const syncClaim = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const claim = store.get(PVCS, ns, name) as PersistentVolumeClaimObj | undefined;
    if (!claim?.metadata.deletionTimestamp || !claim.metadata.finalizers?.includes(PVC_PROTECTION)) return;
    if (claimUsers(pods, ns, name).length) return;
    removeFinalizer(pvcDef, claim, PVC_PROTECTION);
  };
  const syncVolume = (name: string) => {
    const pv = store.get(PVS, '', name) as PersistentVolumeObj | undefined;
    if (!pv?.metadata.deletionTimestamp || !pv.metadata.finalizers?.includes(PV_PROTECTION)) return;
    if (pv.status?.phase === 'Bound') return;
    removeFinalizer(pvDef, pv, PV_PROTECTION);
  };

  const onErr = (k: string, err: unknown) => log.debug({ err, key: k }, 'storage protection retry');
  const claims = createQueue('pvc-protection', syncClaim, onErr);
  const volumes = createQueue('pv-protection', syncVolume, onErr);
  const claimKey = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  // A Pod that stops using its claims (deleted, terminated) may let a deletion finish.
  const podChanged = (o: KubeObject) => {
    for (const c of podClaimNames(o as PodObj)) claims.add(`${o.metadata.namespace}/${c}`);
  };
  const unsubs = [
    informers.for(PVCS).on({ add: (o) => claims.add(claimKey(o)), update: (o) => claims.add(claimKey(o)) }),
    informers.for(PVS).on({ add: (o) => volumes.add(o.metadata.name!), update: (o) => volumes.add(o.metadata.name!) }),
    pods.on({
      update: (o, old) => {
        const p = o as PodObj;
        const before = old as PodObj;
        if (p.status?.phase !== before.status?.phase || p.spec?.nodeName !== before.spec?.nodeName) podChanged(o);
      },
      delete: podChanged,
    }),
  ];
  return queuesController(unsubs, claims, volumes);
}
