// What the volume controllers share: the store's names of the storage kinds, the claims a Pod
// uses (by an index of the shared Pod informer), whether a Pod still uses its volumes, how a
// volume's node affinity and a claim's wishes match (pv_controller.go findMatchingVolume and
// volume/util CheckNodeAffinity), and the claim reference a bound volume carries.
import type { ObjectReference } from '../../api/generated/core/v1.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { Informer } from '../../storage/informer.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { NodeObj } from '../../registry/node.js';
import type { PersistentVolumeObj } from '../../registry/storage/persistentvolume.js';
import type { PersistentVolumeClaimObj } from '../../registry/storage/persistentvolumeclaim.js';
import { classOf, storageOf } from '../../registry/storage/common.js';
import { compareQuantity } from '../../apimachinery/quantity.js';
import { matchLabelSelector } from '../../apimachinery/selectors.js';
import { matchNodeSelectorTerms } from '../scheduler.js';
import type { WorkQueue } from '../queue.js';
import type { Controller } from '../context.js';
import { isPodTerminal } from '../workload/pods.js';

export const PVCS = 'persistentvolumeclaims';
export const PVS = 'persistentvolumes';
export const STORAGE_CLASSES = 'storage.k8s.io/storageclasses';
/** The Pod informer's index of the claims each Pod uses (`namespace/claim`). */
export const CLAIM_INDEX = 'persistentvolumeclaims-used';

/** The claims a Pod's volumes name: persistentVolumeClaim sources and generic ephemeral volumes (`<pod>-<volume>`). */
export function podClaimNames(pod: PodObj): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(`${pod.metadata.name}-${v.name}`);
  }
  return out;
}

export function addClaimIndex(pods: Informer): void {
  pods.addIndex(CLAIM_INDEX, (o: KubeObject) => {
    const p = o as PodObj;
    return podClaimNames(p).map((c) => `${p.metadata.namespace}/${c}`);
  });
}

/** The Pods that use a claim and run, or may run (scheduled, not terminal). */
export function claimUsers(pods: Informer, ns: string, name: string): PodObj[] {
  return (pods.byIndex(CLAIM_INDEX, `${ns}/${name}`) as PodObj[]).filter((p) => !!p.spec?.nodeName && !isPodTerminal(p));
}

/** volume/util CheckNodeAffinity: a term of the volume's required node selector matches the Node. */
export function nodeAffinityMatches(pv: PersistentVolumeObj, node: NodeObj): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  return !terms || matchNodeSelectorTerms(terms, node);
}

/** IsVolumeBoundToClaim: the reference names this claim (and its uid, once it has one). */
export function refersTo(ref: ObjectReference | undefined, claim: PersistentVolumeClaimObj): boolean {
  return (
    !!ref && ref.name === claim.metadata.name && ref.namespace === claim.metadata.namespace && (!ref.uid || ref.uid === claim.metadata.uid)
  );
}

/** The claimRef a bound volume carries (GetReference of the claim). */
export function claimRefOf(claim: PersistentVolumeClaimObj): ObjectReference {
  return {
    kind: 'PersistentVolumeClaim',
    namespace: claim.metadata.namespace,
    name: claim.metadata.name,
    uid: claim.metadata.uid,
    apiVersion: 'v1',
    resourceVersion: claim.metadata.resourceVersion,
  };
}

/**
 * findMatchingVolume: a volume pre-bound to the claim; else the smallest Available volume of the
 * claim's class, volume mode and access modes (a superset), at least as large as the request,
 * whose labels the claim's selector matches and whose node affinity admits `node`. With delayed
 * binding and no node yet, only pre-bound volumes count (the scheduler picks the others).
 */
export function findMatchingVolume(
  claim: PersistentVolumeClaimObj,
  volumes: readonly PersistentVolumeObj[],
  delayBinding: boolean,
  node: NodeObj | undefined,
): PersistentVolumeObj | undefined {
  const want = storageOf(claim.spec?.resources?.requests);
  const cls = classOf(claim);
  const modes = claim.spec?.accessModes ?? [];
  const mode = claim.spec?.volumeMode ?? 'Filesystem';
  let best: PersistentVolumeObj | undefined;
  let bestCap: ReturnType<typeof storageOf>;
  for (const pv of volumes) {
    if (pv.metadata.deletionTimestamp) continue;
    const cap = storageOf(pv.spec?.capacity);
    if (!cap || (want && compareQuantity(cap, want) < 0)) continue;
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
    if (node && !nodeAffinityMatches(pv, node)) continue;
    const ref = pv.spec?.claimRef;
    if (ref) {
      if (refersTo(ref, claim)) return pv;
      continue;
    }
    if (delayBinding && !node) continue;
    if (pv.status?.phase !== 'Available') continue;
    if (classOf(pv) !== cls) continue;
    if (claim.spec?.selector && !matchLabelSelector(claim.spec.selector, pv.metadata.labels)) continue;
    if (!modes.every((m) => (pv.spec?.accessModes ?? []).includes(m))) continue;
    if (!best || !bestCap || compareQuantity(cap, bestCap) < 0) {
      best = pv;
      bestCap = cap;
    }
  }
  return best;
}

/**
 * The running controller of a volume controller: each has its informer subscriptions and two
 * queues (claims and volumes), stopped together and idle once both queues are.
 */
export function queuesController(unsubs: (() => void)[], claims: WorkQueue, volumes: WorkQueue): Controller {
  return {
    stop() {
      for (const u of unsubs) u();
      claims.stop();
      volumes.stop();
    },
    async idle() {
      await claims.idle();
      await volumes.idle();
    },
  };
}
