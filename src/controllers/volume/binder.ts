// The PersistentVolume controller (kube-controller-manager's persistentvolume-binder, after
// pkg/controller/volume/persistentvolume/pv_controller.go), with the scheduler's part of delayed
// binding (the VolumeBinding plugin) folded in, since this cluster has one node:
// - an unbound claim binds to a volume pre-bound to it, else to the smallest Available volume that
//   satisfies it (class, access modes, size, selector, volume mode, node affinity); binding sets
//   the volume's claimRef (pv.kubernetes.io/bound-by-controller), its phase Bound, then the claim's
//   volumeName (pv.kubernetes.io/bind-completed, bound-by-controller) and its status (Bound,
//   capacity and access modes of the volume);
// - a claim of a WaitForFirstConsumer class waits (event WaitForFirstConsumer) until a scheduled Pod
//   uses it: then it binds to a matching volume of that node, or gets
//   volume.kubernetes.io/selected-node for its provisioner;
// - a claim of a class with a provisioner and no volume gets volume.kubernetes.io/storage-provisioner
//   and the ExternalProvisioning event; the provisioner creates a volume pre-bound to it;
// - a volume without a claim is Available; one whose claim is gone is Released, then Retain keeps
//   it, Delete leaves it to the provisioner that made it (and fails, as upstream, for a volume
//   no provisioner made); a bound claim whose volume is gone is Lost.
// Every write goes through the registry (status through the status subresource), and a write is
// made only when something changes, so a claim it cannot act on waits without looping.
import { requireDef } from '../../registry/kinds.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { NodeObj } from '../../registry/node.js';
import type { PersistentVolumeObj } from '../../registry/storage/persistentvolume.js';
import type { PersistentVolumeClaimObj } from '../../registry/storage/persistentvolumeclaim.js';
import type { StorageClassObj } from '../../registry/storage/storageclass.js';
import { ANN, classOf } from '../../registry/storage/common.js';
import { clone, deepEqual } from '../../apimachinery/meta.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import type { Controller, ControllerContext } from '../context.js';
import {
  PVCS,
  PVS,
  STORAGE_CLASSES,
  addClaimIndex,
  claimRefOf,
  claimUsers,
  findMatchingVolume,
  podClaimNames,
  refersTo,
  queuesController,
} from './util.js';

const MANAGER = { fieldManager: 'kube-controller-manager' };
const STATUS = { fieldManager: 'kube-controller-manager', subresource: 'status' };
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

export function startBinder(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, informers } = ctx;
  const pvcDef = requireDef(defs, '', PVCS);
  const pvDef = requireDef(defs, '', PVS);
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), 'persistentvolume-controller', (err) =>
    log.debug({ err }, 'event not recorded'),
  );
  const pods = informers.for('pods');
  addClaimIndex(pods);
  const pvInformer = informers.for(PVS);
  const pvcInformer = informers.for(PVCS);
  const scInformer = informers.for(STORAGE_CLASSES);

  // Events said once per claim and reason (upstream repeats them every resync; here a claim's
  // every change would).
  const said = new Map<string, string>();
  const sayOnce = (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => {
    const k = obj.metadata.uid ?? '';
    if (said.get(k) === `${reason}\n${message}`) return;
    said.set(k, `${reason}\n${message}`);
    record(obj, type, reason, message);
  };

  const getClaim = (ns: string, name: string) => store.get(PVCS, ns, name) as PersistentVolumeClaimObj | undefined;
  const getVolume = (name: string) => store.get(PVS, '', name) as PersistentVolumeObj | undefined;

  function setClaimStatus(claim: PersistentVolumeClaimObj, status: NonNullable<PersistentVolumeClaimObj['status']>) {
    if (deepEqual(claim.status ?? {}, status)) return claim;
    return registry.update(pvcDef, claim.metadata.namespace!, claim.metadata.name!, { ...claim, status }, STATUS)
      .object as PersistentVolumeClaimObj;
  }
  const claimPhase = (claim: PersistentVolumeClaimObj, phase: string) => {
    if (claim.status?.phase === phase) return claim;
    return setClaimStatus(claim, { ...claim.status, phase });
  };
  function volumePhase(pv: PersistentVolumeObj, phase: string, message?: string, reason?: string) {
    const st = pv.status ?? {};
    if (st.phase === phase && st.message === message && st.reason === reason) return pv;
    const status = { ...st, phase };
    if (message) status.message = message;
    else delete status.message;
    if (reason) status.reason = reason;
    else delete status.reason;
    return registry.update(pvDef, '', pv.metadata.name!, { ...pv, status }, STATUS).object as PersistentVolumeObj;
  }

  /** bind(): volume → claim, volume Bound, claim → volume, claim Bound; each step only when needed. */
  function bind(pvIn: PersistentVolumeObj, claimIn: PersistentVolumeClaimObj) {
    let pv = pvIn;
    const ns = claimIn.metadata.namespace!;
    const name = claimIn.metadata.name!;
    if (pv.spec?.claimRef?.uid !== claimIn.metadata.uid) {
      const next = clone(pv);
      const prebound = refersTo(pv.spec?.claimRef, claimIn);
      next.spec = { ...next.spec, claimRef: claimRefOf(claimIn) };
      if (!prebound) next.metadata.annotations = { ...next.metadata.annotations, [ANN.boundByController]: 'yes' };
      pv = registry.update(pvDef, '', pv.metadata.name!, next, MANAGER).object as PersistentVolumeObj;
    }
    volumePhase(pv, 'Bound');
    let claim = getClaim(ns, name) ?? claimIn;
    const ann = claim.metadata.annotations ?? {};
    if (claim.spec?.volumeName !== pv.metadata.name || ann[ANN.bindCompleted] !== 'yes') {
      const next = clone(claim);
      const annotations: Record<string, string> = { ...ann, [ANN.bindCompleted]: 'yes' };
      if (!claim.spec?.volumeName) annotations[ANN.boundByController] = 'yes';
      next.metadata.annotations = annotations;
      next.spec = { ...next.spec, volumeName: pv.metadata.name };
      claim = registry.update(pvcDef, ns, name, next, MANAGER).object as PersistentVolumeClaimObj;
    }
    setClaimStatus(claim, {
      ...claim.status,
      phase: 'Bound',
      accessModes: pv.spec?.accessModes,
      capacity: pv.spec?.capacity,
    });
    said.delete(claim.metadata.uid ?? '');
  }

  function syncUnboundClaim(claim: PersistentVolumeClaimObj) {
    const cls = classOf(claim);
    const sc = cls ? (store.get(STORAGE_CLASSES, '', cls) as StorageClassObj | undefined) : undefined;
    const delay = sc?.volumeBindingMode === 'WaitForFirstConsumer';
    const volumes = pvInformer.list() as PersistentVolumeObj[];
    let selected = claim.metadata.annotations?.[ANN.selectedNode];
    if (delay && !selected) {
      // The scheduler's part: a scheduled Pod uses the claim, so its node is chosen.
      const user = claimUsers(pods, claim.metadata.namespace!, claim.metadata.name!)[0];
      const nodeName = user?.spec?.nodeName;
      if (nodeName) {
        const node = store.get('nodes', '', nodeName) as NodeObj | undefined;
        const pv = node && findMatchingVolume(claim, volumes, true, node);
        if (pv) return bind(pv, claim);
        const next = clone(claim);
        next.metadata.annotations = { ...next.metadata.annotations, [ANN.selectedNode]: nodeName };
        claim = registry.update(pvcDef, claim.metadata.namespace!, claim.metadata.name!, next, MANAGER).object as PersistentVolumeClaimObj;
        selected = nodeName;
      }
    }
    const node = selected ? (store.get('nodes', '', selected) as NodeObj | undefined) : undefined;
    const pv = findMatchingVolume(claim, volumes, delay, node);
    if (pv) return bind(pv, claim);
    claim = claimPhase(claim, 'Pending');
    if (delay && !selected) {
      sayOnce(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    if (!cls) {
      sayOnce(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    if (!sc) {
      sayOnce(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
      return;
    }
    if (sc.provisioner === NO_PROVISIONER) {
      sayOnce(claim, 'Warning', 'ProvisioningFailed', `no volume plugin matched name: ${NO_PROVISIONER}`);
      return;
    }
    // Every provisioner is external here (the built-in one too): the claim names it, and waits.
    const ann = claim.metadata.annotations ?? {};
    if (ann[ANN.storageProvisioner] !== sc.provisioner || ann[ANN.betaStorageProvisioner] !== sc.provisioner) {
      const next = clone(claim);
      next.metadata.annotations = { ...ann, [ANN.storageProvisioner]: sc.provisioner, [ANN.betaStorageProvisioner]: sc.provisioner };
      claim = registry.update(pvcDef, claim.metadata.namespace!, claim.metadata.name!, next, MANAGER).object as PersistentVolumeClaimObj;
    }
    sayOnce(
      claim,
      'Normal',
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    );
  }

  function syncBoundClaim(claim: PersistentVolumeClaimObj) {
    const volumeName = claim.spec!.volumeName!;
    const pv = getVolume(volumeName);
    const completed = claim.metadata.annotations?.[ANN.bindCompleted] === 'yes';
    if (!pv) {
      if (completed) {
        if (claim.status?.phase !== 'Lost') {
          claimPhase(claim, 'Lost');
          record(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on this volume is lost!');
        }
      } else claimPhase(claim, 'Pending');
      return;
    }
    const ref = pv.spec?.claimRef;
    if (!ref || refersTo(ref, claim)) return bind(pv, claim);
    // The volume is bound to another claim.
    if (completed) {
      if (claim.status?.phase !== 'Lost') {
        claimPhase(claim, 'Lost');
        record(claim, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
      }
      return;
    }
    claim = claimPhase(claim, 'Pending');
    sayOnce(claim, 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
  }

  const syncClaim = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const claim = getClaim(ns, name);
    if (!claim || claim.metadata.deletionTimestamp) return;
    if (!claim.spec?.volumeName) syncUnboundClaim(claim);
    else syncBoundClaim(claim);
  };

  const syncVolume = (name: string) => {
    let pv = getVolume(name);
    if (!pv) return;
    const ref = pv.spec?.claimRef;
    if (!ref) {
      volumePhase(pv, 'Available');
      return;
    }
    if (!ref.uid) {
      // Pre-bound by its author: the claim's sync binds it.
      volumePhase(pv, 'Available');
      claims.add(`${ref.namespace}/${ref.name}`);
      return;
    }
    let claim = getClaim(ref.namespace ?? '', ref.name ?? '');
    if (claim && claim.metadata.uid !== ref.uid) claim = undefined;
    if (!claim) {
      // The claim is gone: the volume is released, then reclaimed.
      if (pv.status?.phase === 'Failed') return;
      pv = volumePhase(pv, 'Released', pv.status?.phase === 'Released' ? pv.status.message : undefined, pv.status?.reason);
      const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
      if (policy === 'Delete' && !pv.metadata.annotations?.[ANN.provisionedBy]) {
        const msg = `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched`;
        volumePhase(pv, 'Failed', msg);
        record(pv, 'Warning', 'VolumeFailedDelete', msg);
      } else if (policy === 'Recycle') {
        const msg = `No recycler plugin found for the volume!`;
        volumePhase(pv, 'Failed', msg);
        record(pv, 'Warning', 'VolumeFailedRecycle', msg);
      }
      // Retain keeps it Released; Delete of a provisioned volume is its provisioner's.
      return;
    }
    if (!claim.spec?.volumeName) {
      claims.add(`${ref.namespace}/${ref.name}`);
      return;
    }
    if (claim.spec.volumeName === name) {
      volumePhase(pv, 'Bound');
      return;
    }
    // The claim is bound to another volume: this one is free again (unbindVolume).
    const next = clone(pv);
    if (pv.metadata.annotations?.[ANN.boundByController]) {
      delete next.spec!.claimRef;
      const { [ANN.boundByController]: _drop, ...rest } = next.metadata.annotations ?? {};
      void _drop;
      next.metadata.annotations = rest;
    } else next.spec!.claimRef = { ...ref, uid: '' };
    pv = registry.update(pvDef, '', name, next, MANAGER).object as PersistentVolumeObj;
    volumePhase(pv, 'Available');
  };

  const onErr = (k: string, err: unknown) => log.debug({ err, key: k }, 'persistentvolume-controller retry');
  const claims = createQueue('persistentvolume-controller-claims', syncClaim, onErr);
  const volumes = createQueue('persistentvolume-controller-volumes', syncVolume, onErr);
  const claimKey = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  // A new or changed volume or class may let a waiting claim bind.
  const unboundClaims = () => {
    for (const c of pvcInformer.list() as PersistentVolumeClaimObj[]) if (!c.spec?.volumeName) claims.add(claimKey(c));
  };
  const unsubs = [
    pvcInformer.on({
      add: (o) => claims.add(claimKey(o)),
      update: (o) => claims.add(claimKey(o)),
      delete: (o) => {
        said.delete(o.metadata.uid ?? '');
        const c = o as PersistentVolumeClaimObj;
        if (c.spec?.volumeName) volumes.add(c.spec.volumeName);
        for (const pv of pvInformer.list() as PersistentVolumeObj[])
          if (pv.spec?.claimRef?.uid === o.metadata.uid) volumes.add(pv.metadata.name!);
      },
    }),
    pvInformer.on({
      add: (o) => {
        volumes.add(o.metadata.name!);
        unboundClaims();
      },
      update: (o) => {
        volumes.add(o.metadata.name!);
        const ref = (o as PersistentVolumeObj).spec?.claimRef;
        if (ref) claims.add(`${ref.namespace}/${ref.name}`);
        unboundClaims();
      },
      delete: (o) => {
        said.delete(o.metadata.uid ?? '');
        const ref = (o as PersistentVolumeObj).spec?.claimRef;
        if (ref) claims.add(`${ref.namespace}/${ref.name}`);
      },
    }),
    scInformer.on({ add: unboundClaims, update: unboundClaims }),
    pods.on({
      add: (o) => {
        for (const c of podClaimNames(o as PodObj)) claims.add(`${o.metadata.namespace}/${c}`);
      },
      update: (o, old) => {
        if ((o as PodObj).spec?.nodeName === (old as PodObj).spec?.nodeName) return;
        for (const c of podClaimNames(o as PodObj)) claims.add(`${o.metadata.namespace}/${c}`);
      },
    }),
  ];
  return queuesController(unsubs, claims, volumes);
}
