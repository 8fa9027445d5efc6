// Ownership between a workload controller and the objects it manages (upstream
// pkg/controller/controller_ref_manager.go): the controller claims the objects its selector
// matches, adopting orphans (adding itself as their controller) and releasing the ones it owns
// that no longer match, so relabelling a Pod takes it out of its ReplicaSet and a new ReplicaSet
// picks up the Pods an orphaning delete left behind.
import type { KubeObject, OwnerReference } from '../../apimachinery/types.js';
import type { Registry } from '../../registry/generic-store.js';
import type { ResourceDef } from '../../registry/types.js';
import { StatusError } from '../../apimachinery/errors.js';

/** The reference that makes `owner` the controller of a dependent (upstream NewControllerRef). */
export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The dependent's controller reference, if any (upstream metav1.GetControllerOf). */
export const controllerOf = (o: KubeObject): OwnerReference | undefined => o.metadata.ownerReferences?.find((r) => r.controller);

export interface ClaimOptions {
  registry: Registry;
  /** The dependents' kind (Pods, ReplicaSets, ControllerRevisions). */
  def: ResourceDef;
  /** Does the owner's selector match this dependent? */
  matches(o: KubeObject): boolean;
  /**
   * The owner as stored now (upstream's uncached recheck before adopting): no adoption when it is
   * gone, replaced or being deleted.
   */
  fresh(): KubeObject | undefined;
  /** The manager the adopt/release patches are recorded under (`kube-controller-manager`). */
  fieldManager?: string;
}

const gone = (e: unknown) => e instanceof StatusError && (e.code === 404 || e.code === 409 || e.code === 422);

/**
 * The dependents `owner` controls after adopting and releasing (upstream ClaimObject). Objects of
 * another controller are never touched; dependents being deleted are not adopted.
 */
export function claim<T extends KubeObject>(owner: KubeObject, candidates: readonly T[], o: ClaimOptions): T[] {
  const uid = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  const fieldManager = o.fieldManager ?? 'kube-controller-manager';
  let canAdopt: boolean | undefined;
  const claimed: T[] = [];
  for (const d of candidates) {
    const ref = controllerOf(d);
    const ns = d.metadata.namespace ?? '';
    const name = d.metadata.name!;
    if (ref) {
      if (ref.uid !== uid) continue;
      if (o.matches(d)) {
        claimed.push(d);
        continue;
      }
      // Ours but no longer selected: release it, unless we are being deleted (the GC decides then).
      if (ownerDeleting) continue;
      try {
        o.registry.patch(
          o.def,
          ns,
          name,
          'strategic',
          { metadata: { ownerReferences: [{ $patch: 'delete', uid }], uid: d.metadata.uid } },
          { fieldManager },
        );
      } catch (e) {
        if (!gone(e)) throw e;
      }
      continue;
    }
    if (ownerDeleting || d.metadata.deletionTimestamp || !o.matches(d)) continue;
    if (canAdopt === undefined) {
      const f = o.fresh();
      canAdopt = !!f && f.metadata.uid === uid && !f.metadata.deletionTimestamp;
    }
    if (!canAdopt) continue;
    try {
      const res = o.registry.patch(
        o.def,
        ns,
        name,
        'strategic',
        { metadata: { ownerReferences: [controllerRef(owner)], uid: d.metadata.uid } },
        { fieldManager },
      );
      claimed.push(res.object as T);
    } catch (e) {
      if (!gone(e)) throw e;
    }
  }
  return claimed;
}
