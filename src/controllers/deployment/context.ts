// What the parts of a Deployment sync share (upstream: the DeploymentController struct of
// deployment_controller.go, its listers and dc.client): the registry and the kinds, the Pod
// informer, the event recorder, the controllers' clock, delayed syncs, and the controller's own
// writes of ReplicaSets and Deployment status, with the overlay through which a reconcile reads
// those of its writes that are not committed yet.
import type { KubeObject } from '../../apimachinery/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { clone, rfc3339 } from '../../apimachinery/meta.js';
import type { Registry } from '../../registry/generic-store.js';
import type { ResourceDef } from '../../registry/types.js';
import type { DeploymentObj } from '../../registry/apps/deployment.js';
import type { Store } from '../../storage/store.js';
import type { Informer } from '../../storage/informer.js';
import type { Clock } from '../../base/clock.js';
import type { EventRecorder } from '../events.js';
import type { ReplicaSetObj } from './util.js';

export const FIELD_MANAGER = 'kube-controller-manager';
export const DEPLOYMENTS = 'apps/deployments';
export const REPLICASETS = 'apps/replicasets';

export const replicasOf = (rs: ReplicaSetObj | undefined) => rs?.spec?.replicas ?? 0;
export const isStatus = (e: unknown, code: number, reason?: string) =>
  e instanceof StatusError && e.code === code && (!reason || e.reason === reason);
const rv = (o: KubeObject) => Number(o.metadata.resourceVersion ?? 0);
export const keyOf = (d: KubeObject) => `${d.metadata.namespace}/${d.metadata.name}`;

export interface DeploymentContext {
  registry: Registry;
  dDef: ResourceDef;
  rsDef: ResourceDef;
  podInformer: Informer;
  record: EventRecorder;
  /** The controllers' clock, in ms and as an RFC 3339 timestamp. */
  nowMs: () => number;
  now: () => string;
  /** Syncs the Deployment of `key` again after `ms` on the controllers' clock. */
  requeueAfter: (key: string, ms: number) => void;
  /** Records a write of ours until it is durable (null: deleted). */
  noteWrite: (resource: string, o: KubeObject, deleted?: boolean) => void;
  /** The object, or our newer uncommitted write of it. */
  fresher: <T extends KubeObject>(resource: string, o: T) => T;
  /** The namespace's ReplicaSets as the informer has them, overlaid with our uncommitted writes. */
  listReplicaSets: (ns: string) => ReplicaSetObj[];
  /** The newest version of a ReplicaSet, our batch's uncommitted writes included (a read inside a transaction). */
  readRS: (ns: string, name: string) => ReplicaSetObj | undefined;
  updateRS: (rs: ReplicaSetObj) => ReplicaSetObj;
  /** UpdateStatus of the working copy: status and annotations; `d` takes the new resourceVersion. */
  updateStatus: (d: DeploymentObj) => void;
  /**
   * Deployments whose revision annotation changed but is not written yet. Upstream writes it at
   * once through the status subresource; here it joins the status write that follows in the same
   * sync (a new revision comes with a new observedGeneration), so a revision alone never makes a
   * write of its own.
   */
  annotationsDirty: WeakSet<DeploymentObj>;
}

export function createDeploymentContext(opts: {
  store: Store;
  registry: Registry;
  dDef: ResourceDef;
  rsDef: ResourceDef;
  rsInformer: Informer;
  podInformer: Informer;
  record: EventRecorder;
  clock: Clock;
  requeueAfter: (key: string, ms: number) => void;
}): DeploymentContext {
  const { store, registry, dDef, rsDef, rsInformer } = opts;

  // Our own writes reach the informers when their group-commit batch commits: until then a
  // reconcile reads them from this overlay (null: deleted), so it neither creates a ReplicaSet
  // twice nor writes from a stale copy.
  const pending = new Map<string, Map<string, KubeObject | null>>([
    [DEPLOYMENTS, new Map()],
    [REPLICASETS, new Map()],
  ]);
  const noteWrite = (resource: string, o: KubeObject, deleted = false) => {
    if (!store.batchOpen) return;
    const m = pending.get(resource)!;
    const k = `${o.metadata.namespace}/${o.metadata.name}`;
    const v = deleted ? null : o;
    m.set(k, v);
    const done = () => {
      if (m.get(k) === v) m.delete(k);
    };
    store.durable().then(done, done);
  };
  const fresher = <T extends KubeObject>(resource: string, o: T): T => {
    const p = pending.get(resource)!.get(`${o.metadata.namespace}/${o.metadata.name}`);
    return p && p.metadata.uid === o.metadata.uid && rv(p) > rv(o) ? (p as T) : o;
  };
  const listReplicaSets = (ns: string): ReplicaSetObj[] => {
    const base = rsInformer.list(ns) as ReplicaSetObj[];
    const m = pending.get(REPLICASETS)!;
    if (!m.size) return base;
    const byName = new Map(base.map((rs) => [rs.metadata.name!, fresher(REPLICASETS, rs)]));
    for (const [k, o] of m) {
      const [pns, pname] = k.split('/') as [string, string];
      if (pns !== ns) continue;
      if (o === null) byName.delete(pname);
      else if (!byName.has(pname)) byName.set(pname, o as ReplicaSetObj);
    }
    return [...byName.values()];
  };

  // ---- writes ----

  const readRS = (ns: string, name: string): ReplicaSetObj | undefined => {
    const stored = store.txn((tx) => tx.get(REPLICASETS, ns, name));
    return stored ? (registry.toAPI(rsDef, clone(stored)) as ReplicaSetObj) : undefined;
  };
  /**
   * Update of a ReplicaSet we changed. A conflict caused by a status write of the ReplicaSet
   * controller (same generation: nobody changed the spec) is retried on the current object, as if
   * our cache had been that much newer; any other conflict fails the sync (retried with backoff).
   */
  const updateRS = (rs: ReplicaSetObj): ReplicaSetObj => {
    const ns = rs.metadata.namespace!;
    const name = rs.metadata.name!;
    const write = (o: ReplicaSetObj) => {
      const out = registry.update(rsDef, ns, name, o, { fieldManager: FIELD_MANAGER, trusted: true }).object as ReplicaSetObj;
      noteWrite(REPLICASETS, out);
      return out;
    };
    try {
      return write(clone(rs));
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
      const cur = readRS(ns, name);
      if (!cur) throw e;
      if (cur.metadata.uid !== rs.metadata.uid || cur.metadata.generation !== rs.metadata.generation) throw e;
      const next = clone(cur);
      next.spec = clone(rs.spec);
      next.metadata.annotations = clone(rs.metadata.annotations);
      return write(next);
    }
  };
  const annotationsDirty = new WeakSet<DeploymentObj>();
  const updateStatus = (d: DeploymentObj): void => {
    annotationsDirty.delete(d);
    const out = registry.update(dDef, d.metadata.namespace!, d.metadata.name!, clone(d), {
      subresource: 'status',
      fieldManager: FIELD_MANAGER,
      trusted: true,
    }).object as DeploymentObj;
    noteWrite(DEPLOYMENTS, out);
    d.metadata.resourceVersion = out.metadata.resourceVersion;
    d.metadata.generation = out.metadata.generation;
  };

  return {
    registry,
    dDef,
    rsDef,
    podInformer: opts.podInformer,
    record: opts.record,
    nowMs: () => opts.clock.now(),
    now: () => rfc3339(new Date(opts.clock.now())),
    requeueAfter: opts.requeueAfter,
    noteWrite,
    fresher,
    listReplicaSets,
    readRS,
    updateRS,
    updateStatus,
    annotationsDirty,
  };
}
