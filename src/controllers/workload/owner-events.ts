// How a workload controller finds the owner to sync when an object it may own changes (upstream
// pkg/controller: resolveControllerRef, the getPodXxx lookups for orphans, addPod/deletePod of the
// ReplicaSet and DaemonSet controllers). Several controllers ask the same questions of the Pods
// (or ReplicaSets, ControllerRevisions) they watch: which owner of my kind does this object's
// controller reference name, and which owners would adopt it if it is an orphan. The answers must
// agree between them (a uid check against the cached owner; a selector that selects everything
// adopts nothing), so they live here once.
import type { KubeObject, OwnerReference } from '../../apimachinery/types.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import type { Informer } from '../../storage/informer.js';
import type { Expectations } from './expectations.js';
import { controllerOf } from './controller-ref.js';

/**
 * upstream labels.Selector.Empty of a given selector: no matchLabels and no matchExpressions, so it
 * selects every object. A workload with such a selector is refused (SelectingAll) and adopts nothing.
 */
export const selectsEverything = (sel: LabelSelector | null | undefined): boolean =>
  !!sel && !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length;

/**
 * Would an owner with this selector adopt an orphan with these labels? Not without a selector,
 * nor with one that selects everything (upstream's getPodXxx / getDeploymentsForReplicaSet skip
 * those owners).
 */
export const wouldAdopt = (sel: LabelSelector | null | undefined, labels: Record<string, string> | undefined): boolean =>
  !!sel && !selectsEverything(sel) && matchLabelSelector(sel, labels);

/**
 * upstream resolveControllerRef: the owner of `kind` that a controller reference names, from the
 * owners' informer, only if it is that very object (same uid, not a namesake created since).
 */
export function resolveControllerRef<T extends KubeObject = KubeObject>(
  owners: Informer,
  kind: string,
  ns: string,
  ref: OwnerReference | undefined,
): T | undefined {
  if (!ref || ref.kind !== kind) return undefined;
  const o = owners.get(ns, ref.name) as T | undefined;
  return o && o.metadata.uid === ref.uid ? o : undefined;
}

export interface OwnedPodTracking<O extends KubeObject> {
  /** The owner the Pod's controller reference names (resolveControllerRef for the owner's kind). */
  resolve(pod: KubeObject): O | undefined;
  /** The owners that would adopt the Pod, an orphan. */
  adopters(pod: KubeObject): O[];
  /** The owner's queue key. */
  keyOf(owner: O): string;
  expectations: Expectations;
  /** Queues a sync of the owner with this key. */
  add(key: string): void;
}

/**
 * The Pod add and delete handlers of a controller that creates and deletes Pods under
 * expectations (upstream ReplicaSetController / DaemonSetsController addPod and deletePod): a new
 * Pod of an owner is a creation it awaited, a Pod gone (or added already being deleted) a deletion
 * it awaited; a new orphan makes every owner that would adopt it look. Update handlers differ
 * between the controllers and stay with them.
 */
export function ownedPodHandlers<O extends KubeObject>(
  t: OwnedPodTracking<O>,
): { added(pod: KubeObject): void; deleted(pod: KubeObject): void } {
  const deleted = (pod: KubeObject) => {
    const owner = t.resolve(pod);
    if (!owner) return;
    const key = t.keyOf(owner);
    t.expectations.deletionObserved(key, pod.metadata.uid);
    t.add(key);
  };
  const added = (pod: KubeObject) => {
    if (pod.metadata.deletionTimestamp) return deleted(pod);
    if (controllerOf(pod)) {
      const owner = t.resolve(pod);
      if (!owner) return;
      const key = t.keyOf(owner);
      t.expectations.creationObserved(key);
      t.add(key);
      return;
    }
    for (const o of t.adopters(pod)) t.add(t.keyOf(o));
  };
  return { added, deleted };
}
