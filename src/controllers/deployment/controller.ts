// The Deployment controller (upstream pkg/controller/deployment: deployment_controller.go, sync.go,
// rolling.go, recreate.go, progress.go): each Deployment owns ReplicaSets, one per pod template
// (named `<deployment>-<pod-template-hash>`), claimed by selector (orphans adopted, non-matching
// ones released). A template change creates a new ReplicaSet and moves replicas to it, within
// maxSurge/maxUnavailable (RollingUpdate) or after the old Pods are gone (Recreate); a change of
// replicas alone is a scaling event, shared proportionally among the active ReplicaSets; a paused
// Deployment only scales. Revisions are kept in annotations (`deployment.kubernetes.io/revision`,
// with the history of a ReplicaSet rolled back to), the replica annotations let scaling tell
// proportions, old ReplicaSets beyond revisionHistoryLimit are deleted, and the status carries the
// counts and the Available / Progressing conditions, the latter timing out after
// progressDeadlineSeconds (on the controller's clock). Writes go through the registry; a write
// that fails (a conflict with a stale cache, an invalid ReplicaSet) is retried with the queue's
// backoff, so nothing loops hot.
import type { KubeObject } from '../../apimachinery/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { clone, rfc3339 } from '../../apimachinery/meta.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import { findDef, requireDef } from '../../registry/kinds.js';
import type { DeploymentObj } from '../../registry/apps/deployment.js';
import type { DeploymentStatus } from '../../api/generated/apps/v1.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import { semanticEqual } from '../../registry/pod/validation.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { tolerate, type Controller, type ControllerContext } from '../context.js';
import { claim, controllerOf, controllerRef } from '../workload/controller-ref.js';
import { createWakeups } from '../workload/wakeups.js';
import { resolveControllerRef, selectsEverything, wouldAdopt } from '../workload/owner-events.js';
import {
  POD_TEMPLATE_HASH_LABEL,
  REASON,
  activeReplicaSets,
  actualReplicaCount,
  availableReplicaCount,
  byCreation,
  byRevision,
  bySize,
  calculateStatus,
  computePodTemplateHash,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  hasProgressDeadline,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  proportion,
  removeCondition,
  replicaCount,
  replicasAnnotationsNeedUpdate,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  type ReplicaSetObj,
} from './util.js';

const FIELD_MANAGER = 'kube-controller-manager';
const DEPLOYMENTS = 'apps/deployments';
const REPLICASETS = 'apps/replicasets';

const replicasOf = (rs: ReplicaSetObj | undefined) => rs?.spec?.replicas ?? 0;
const isStatus = (e: unknown, code: number, reason?: string) =>
  e instanceof StatusError && e.code === code && (!reason || e.reason === reason);
const rv = (o: KubeObject) => Number(o.metadata.resourceVersion ?? 0);

export function startDeploymentController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, informers, clock } = ctx;
  const dDef = requireDef(defs, 'apps', 'deployments');
  const rsDefOrNone = findDef(defs, 'apps', 'replicasets');
  if (!rsDefOrNone) {
    log.warn('no ReplicaSet kind: the deployment controller does not run');
    return { stop() {}, idle: () => Promise.resolve() };
  }
  const rsDef = rsDefOrNone;
  const dInformer = informers.for(DEPLOYMENTS);
  const rsInformer = informers.for(REPLICASETS);
  const podInformer = informers.for('pods');
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), 'deployment-controller', (err) =>
    log.debug({ err }, 'event not recorded'),
  );
  const nowMs = () => clock.now();
  const now = () => rfc3339(new Date(clock.now()));

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

  /** The newest version of a ReplicaSet, our batch's uncommitted writes included (a read inside a transaction). */
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
  /**
   * Deployments whose revision annotation changed but is not written yet. Upstream writes it at
   * once through the status subresource; here it joins the status write that follows in the same
   * sync (a new revision comes with a new observedGeneration), so a revision alone never makes a
   * write of its own.
   */
  const annotationsDirty = new WeakSet<DeploymentObj>();
  /** UpdateStatus of the working copy: status and annotations; `d` takes the new resourceVersion. */
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

  // ---- scaling (sync.go) ----

  /** upstream scaleReplicaSet: size and replica annotations; a ScalingReplicaSet event when the size changed. */
  const scaleReplicaSet = (rs: ReplicaSetObj, newScale: number, d: DeploymentObj, op: 'up' | 'down'): [boolean, ReplicaSetObj] => {
    const desired = specReplicas(d);
    const max = desired + maxSurge(d);
    const sizeNeedsUpdate = replicasOf(rs) !== newScale;
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return [false, rs];
    const oldScale = replicasOf(rs);
    const copy = clone(rs);
    copy.spec = { ...copy.spec!, replicas: newScale };
    setReplicasAnnotations(copy, desired, max);
    const out = updateRS(copy);
    if (sizeNeedsUpdate)
      record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${out.metadata.name} from ${oldScale} to ${newScale}`);
    return [sizeNeedsUpdate, out];
  };
  const scaleAndRecord = (rs: ReplicaSetObj, newScale: number, d: DeploymentObj): [boolean, ReplicaSetObj] =>
    replicasOf(rs) === newScale ? [false, rs] : scaleReplicaSet(rs, newScale, d, replicasOf(rs) < newScale ? 'up' : 'down');

  /** upstream scale: a scaling event (or a paused Deployment), proportionally among active ReplicaSets. */
  const scale = (d: DeploymentObj, newRS: ReplicaSetObj | undefined, oldRSs: ReplicaSetObj[]): void => {
    const target = specReplicas(d);
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (replicasOf(activeOrLatest) !== target) scaleAndRecord(activeOrLatest, target, d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) scaleAndRecord(old, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = activeReplicaSets([...oldRSs, newRS]);
    const allowed = target > 0 ? target + maxSurge(d) : 0;
    const toAdd = allowed - replicaCount(all);
    let op: 'up' | 'down' = 'up';
    if (toAdd > 0) all.sort(bySize(true));
    else if (toAdd < 0) {
      all.sort(bySize(false));
      op = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = proportion(rs, d, toAdd, added);
        sizes.set(rs.metadata.name!, replicasOf(rs) + p);
        added += p;
      } else sizes.set(rs.metadata.name!, replicasOf(rs));
    }
    all.forEach((rs, i) => {
      let size = sizes.get(rs.metadata.name!)!;
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      scaleReplicaSet(rs, size, d, op);
    });
  };

  /** upstream isScalingEvent: an active ReplicaSet was sized for another replica count. */
  const isScalingEvent = (d: DeploymentObj, all: (ReplicaSetObj | undefined)[]): boolean =>
    activeReplicaSets(all).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== specReplicas(d);
    });

  // ---- ReplicaSets of a Deployment ----

  /** upstream getReplicaSetsForDeployment: claimed by selector (adopt orphans, release strays). */
  const replicaSetsFor = (d: DeploymentObj): ReplicaSetObj[] => {
    const ns = d.metadata.namespace!;
    const sel = d.spec?.selector as LabelSelector | undefined;
    return claim(d, listReplicaSets(ns), {
      registry,
      def: rsDef,
      matches: (o) => matchLabelSelector(sel, o.metadata.labels),
      fresh: () => {
        try {
          return registry.get(dDef, ns, d.metadata.name!);
        } catch {
          return undefined;
        }
      },
    }).map((rs) => fresher(REPLICASETS, rs));
  };

  /** upstream getNewReplicaSet: the ReplicaSet of the current template (created when asked), revision synced. */
  const getNewReplicaSet = (
    d: DeploymentObj,
    rsList: ReplicaSetObj[],
    oldRSs: ReplicaSetObj[],
    create: boolean,
  ): ReplicaSetObj | undefined => {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = clone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== minReady) {
        copy.spec = { ...copy.spec!, minReadySeconds: minReady };
        return updateRS(copy);
      }
      if (setDeploymentRevision(d, copy.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '')) annotationsDirty.add(d);
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        d.status ??= {};
        setCondition(
          d.status,
          newCondition('Progressing', 'True', REASON.foundNewRS, `Found new replica set "${copy.metadata.name}"`, now()),
        );
        updateStatus(d);
      }
      return copy;
    }
    if (!create) return undefined;

    const template = clone(d.spec!.template);
    const hash = computePodTemplateHash(template, d.status?.collisionCount);
    template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const sel = clone(d.spec!.selector);
    sel.matchLabels = { ...(sel.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const newRS: ReplicaSetObj = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        ownerReferences: [controllerRef(d)],
        labels: { ...template.metadata.labels },
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector: sel, template },
    };
    const newReplicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec!.replicas = newReplicas;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let createdRS: ReplicaSetObj;
    let alreadyExists = false;
    try {
      createdRS = registry.create(rsDef, d.metadata.namespace!, newRS, { fieldManager: FIELD_MANAGER, trusted: true })
        .object as ReplicaSetObj;
      noteWrite(REPLICASETS, createdRS);
    } catch (e) {
      if (isStatus(e, 409, 'AlreadyExists')) {
        alreadyExists = true;
        const rs = readRS(d.metadata.namespace!, newRS.metadata.name!);
        if (!rs) throw e;
        const ref = controllerOf(rs);
        if (ref && ref.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, rs.spec?.template)) {
          createdRS = rs;
        } else {
          // A hash collision: another template has this name. Raise the collision count and retry.
          d.status ??= {};
          d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
          updateStatus(d);
          throw e;
        }
      } else {
        // A namespace being deleted refuses every create: nothing to report.
        if (isStatus(e, 403) && (e as StatusError).message.includes('is being terminated')) throw e;
        const msg = `Failed to create new replica set "${newRS.metadata.name}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          d.status ??= {};
          setCondition(d.status, newCondition('Progressing', 'False', REASON.failedRSCreate, msg, now()));
          tolerate(() => updateStatus(d), [404, 409, 422]);
        }
        record(d, 'Warning', REASON.failedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExists && newReplicas > 0)
      record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${createdRS.metadata.name} from 0 to ${newReplicas}`);
    if (setDeploymentRevision(d, String(newRevision))) annotationsDirty.add(d);
    if (!alreadyExists && hasProgressDeadline(d)) {
      d.status ??= {};
      setCondition(
        d.status,
        newCondition('Progressing', 'True', REASON.newReplicaSet, `Created new replica set "${createdRS.metadata.name}"`, now()),
      );
      updateStatus(d);
    }
    return createdRS;
  };

  /** upstream SetDeploymentRevision: the Deployment's revision annotation; true when it changed. */
  const setDeploymentRevision = (d: DeploymentObj, revision: string): boolean => {
    d.metadata.annotations ??= {};
    if (d.metadata.annotations['deployment.kubernetes.io/revision'] === revision) return false;
    d.metadata.annotations['deployment.kubernetes.io/revision'] = revision;
    return true;
  };

  const allReplicaSetsAndSyncRevision = (d: DeploymentObj, rsList: ReplicaSetObj[], create: boolean) => {
    const { all: oldRSs } = findOldReplicaSets(d, rsList);
    const newRS = getNewReplicaSet(d, rsList, oldRSs, create);
    return { newRS, oldRSs };
  };

  // ---- status (sync.go, progress.go) ----

  const syncDeploymentStatus = (all: (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj | undefined, d: DeploymentObj) => {
    const status = calculateStatus(all, newRS, d, now());
    if (semanticEqual(d.status ?? {}, status) && !annotationsDirty.has(d)) return;
    d.status = status;
    updateStatus(d);
  };

  /** upstream syncRolloutStatus: the status, with progress estimated against the deadline. */
  const syncRolloutStatus = (all: (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj | undefined, d: DeploymentObj) => {
    const status = calculateStatus(all, newRS, d, now());
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const cur = getCondition(d.status, 'Progressing');
    const isComplete = status.replicas === status.updatedReplicas && cur?.reason === REASON.newRSAvailable;
    if (hasProgressDeadline(d) && !isComplete) {
      if (deploymentComplete(d, status)) {
        const msg = newRS
          ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`
          : `Deployment "${d.metadata.name}" has successfully progressed.`;
        setCondition(status, newCondition('Progressing', 'True', REASON.newRSAvailable, msg, now()));
      } else if (deploymentProgressing(d, status)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
        const c = newCondition('Progressing', 'True', REASON.replicaSetUpdated, msg, now());
        if (cur) {
          if (cur.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
          removeCondition(status, 'Progressing');
        }
        status.conditions = [...(status.conditions ?? []), c];
      } else if (deploymentTimedOut(d, status, nowMs())) {
        const msg = newRS
          ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`
          : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setCondition(status, newCondition('Progressing', 'False', REASON.timedOut, msg, now()));
      }
    }
    // Failure conditions of the ReplicaSets (the new one first) become the Deployment's.
    const failure = [newRS, ...all.filter((rs) => rs !== newRS)]
      .map((rs) => rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure'))
      .find((c) => c);
    if (failure)
      setCondition(status, {
        type: 'ReplicaFailure',
        status: failure.status,
        lastTransitionTime: failure.lastTransitionTime,
        lastUpdateTime: failure.lastTransitionTime,
        reason: failure.reason,
        message: failure.message,
      });
    else removeCondition(status, 'ReplicaFailure');
    if (semanticEqual(d.status ?? {}, status) && !annotationsDirty.has(d)) {
      requeueStuck(d, status);
      return;
    }
    d.status = status;
    updateStatus(d);
  };

  const keyOf = (d: KubeObject) => `${d.metadata.namespace}/${d.metadata.name}`;
  /** Syncs again later on the controllers' clock (one pending wake-up per Deployment, the earliest wins). */
  const wakeups = createWakeups(clock, (key) => queue.add(key));
  const requeueAfter = (key: string, ms: number) => wakeups.after(key, ms);

  /** upstream requeueStuckDeployment: check again when the progress deadline passes. */
  const requeueStuck = (d: DeploymentObj, status: DeploymentStatus) => {
    const cur = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !cur) return;
    if (deploymentComplete(d, status) || cur.reason === REASON.timedOut) return;
    const last = Date.parse(cur.lastUpdateTime ?? '');
    if (Number.isNaN(last)) return;
    const after = last + d.spec!.progressDeadlineSeconds! * 1000 - nowMs();
    requeueAfter(keyOf(d), after < 1000 ? 1000 : after + 1000);
  };

  /** upstream checkPausedConditions: Progressing Unknown while paused, DeploymentResumed after. */
  const checkPausedConditions = (d: DeploymentObj) => {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === REASON.timedOut) return;
    const pausedCond = cond?.reason === REASON.paused;
    let c;
    if (d.spec?.paused && !pausedCond) c = newCondition('Progressing', 'Unknown', REASON.paused, 'Deployment is paused', now());
    else if (!d.spec?.paused && pausedCond) c = newCondition('Progressing', 'Unknown', REASON.resumed, 'Deployment is resumed', now());
    if (!c) return;
    d.status ??= {};
    setCondition(d.status, c);
    updateStatus(d);
  };

  /** upstream cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit, scaled to 0 and settled, go. */
  const cleanupDeployment = (oldRSs: ReplicaSetObj[], d: DeploymentObj) => {
    const limit = d.spec?.revisionHistoryLimit;
    if (typeof limit !== 'number') return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(byRevision);
    const diff = cleanable.length - limit;
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      tolerate(() => {
        const r = registry.delete(rsDef, rs.metadata.namespace!, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
        noteWrite(REPLICASETS, r.object, r.deleted);
      }, [404, 409]);
    }
  };

  // ---- the strategies ----

  /** upstream sync: scaling and paused Deployments. */
  const syncScaling = (d: DeploymentObj, rsList: ReplicaSetObj[]) => {
    const { newRS, oldRSs } = allReplicaSetsAndSyncRevision(d, rsList, false);
    scale(d, newRS, oldRSs);
    if (d.spec?.paused) cleanupDeployment(oldRSs, d);
    const fresh = refresh(d, rsList);
    syncDeploymentStatus(fresh.all, fresh.newRS, d);
  };

  /** The Deployment's ReplicaSets as they are after our writes (upstream works on the objects its writes returned). */
  const reread = (d: DeploymentObj, rsList: ReplicaSetObj[]): ReplicaSetObj[] => {
    const uids = new Set(rsList.map((rs) => rs.metadata.uid));
    return listReplicaSets(d.metadata.namespace!).filter((o) => uids.has(o.metadata.uid) || controllerOf(o)?.uid === d.metadata.uid);
  };
  const refresh = (d: DeploymentObj, rsList: ReplicaSetObj[]) => {
    const list = reread(d, rsList);
    const newRS = findNewReplicaSet(d, list);
    const { all: oldRSs } = findOldReplicaSets(d, list);
    return { newRS, oldRSs, all: [...oldRSs, newRS] };
  };

  /** upstream rolloutRolling. */
  const rolloutRolling = (d: DeploymentObj, rsList: ReplicaSetObj[]) => {
    const first = allReplicaSetsAndSyncRevision(d, rsList, true);
    let newRS = first.newRS!;
    const oldRSs = first.oldRSs;
    const all = () => [...oldRSs, newRS];
    // Scale up, if we can.
    const target = specReplicas(d);
    if (replicasOf(newRS) !== target) {
      const want = replicasOf(newRS) > target ? target : newRSNewReplicas(d, all(), newRS);
      const [scaledUp, rs] = scaleAndRecord(newRS, want, d);
      newRS = rs;
      if (scaledUp) return syncRolloutStatus(all(), newRS, d);
    }
    // Scale down, if we can.
    if (reconcileOldReplicaSets(all(), activeReplicaSets(oldRSs), newRS, d)) {
      const fresh = refresh(d, [...oldRSs, newRS]);
      return syncRolloutStatus(fresh.all, fresh.newRS, d);
    }
    if (deploymentComplete(d, d.status ?? {})) cleanupDeployment(oldRSs, d);
    syncRolloutStatus(all(), newRS, d);
  };

  /** upstream reconcileOldReplicaSets: unhealthy old replicas first, then within maxUnavailable. */
  const reconcileOldReplicaSets = (allRSs: ReplicaSetObj[], oldRSs: ReplicaSetObj[], newRS: ReplicaSetObj, d: DeploymentObj): boolean => {
    if (replicaCount(oldRSs) === 0) return false;
    const minAvailable = specReplicas(d) - maxUnavailable(d);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = replicaCount(allRSs) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // Unhealthy replicas of old ReplicaSets go first (they would block the rollout).
    const olds = [...oldRSs].sort(byCreation);
    let cleaned = 0;
    for (let i = 0; i < olds.length; i++) {
      if (cleaned >= maxScaledDown) break;
      const rs = olds[i]!;
      const avail = rs.status?.availableReplicas ?? 0;
      if (replicasOf(rs) === 0 || replicasOf(rs) === avail) continue;
      const n = Math.min(maxScaledDown - cleaned, replicasOf(rs) - avail);
      const [, out] = scaleAndRecord(rs, replicasOf(rs) - n, d);
      olds[i] = out;
      cleaned += n;
    }
    // Then scale down within maxUnavailable.
    const available = availableReplicaCount([...olds, newRS]);
    let scaled = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of [...olds].sort(byCreation)) {
        if (scaled >= total) break;
        if (replicasOf(rs) === 0) continue;
        const n = Math.min(replicasOf(rs), total - scaled);
        scaleAndRecord(rs, replicasOf(rs) - n, d);
        scaled += n;
      }
    }
    return cleaned + scaled > 0;
  };

  /** upstream rolloutRecreate: old ReplicaSets to 0, wait for their Pods to go, then the new one. */
  const rolloutRecreate = (d: DeploymentObj, rsList: ReplicaSetObj[]) => {
    const first = allReplicaSetsAndSyncRevision(d, rsList, false);
    let newRS = first.newRS;
    let oldRSs = first.oldRSs;
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) {
      const [scaled] = scaleAndRecord(rs, 0, d);
      if (scaled) scaledDown = true;
    }
    if (scaledDown) {
      const fresh = refresh(d, rsList);
      return syncRolloutStatus(fresh.all, fresh.newRS, d);
    }
    if (oldPodsRunning(d, newRS, oldRSs, rsList)) return syncRolloutStatus([...oldRSs, newRS], newRS, d);
    if (!newRS) {
      const again = allReplicaSetsAndSyncRevision(d, rsList, true);
      newRS = again.newRS;
      oldRSs = again.oldRSs;
    }
    if (newRS) [, newRS] = scaleAndRecord(newRS, specReplicas(d), d);
    if (deploymentComplete(d, d.status ?? {})) cleanupDeployment(oldRSs, d);
    syncRolloutStatus([...oldRSs, newRS], newRS, d);
  };

  /** upstream oldPodsRunning: old ReplicaSets report Pods, or Pods of theirs are not finished. */
  const oldPodsRunning = (d: DeploymentObj, newRS: ReplicaSetObj | undefined, oldRSs: ReplicaSetObj[], rsList: ReplicaSetObj[]) => {
    if (actualReplicaCount(oldRSs) > 0) return true;
    const uids = new Set(rsList.map((rs) => rs.metadata.uid));
    const sel = d.spec?.selector as LabelSelector | undefined;
    for (const p of podInformer.list(d.metadata.namespace) as PodObj[]) {
      const ref = controllerOf(p);
      if (!ref || !uids.has(ref.uid) || (newRS && ref.uid === newRS.metadata.uid)) continue;
      if (!matchLabelSelector(sel, p.metadata.labels)) continue;
      const phase = p.status?.phase;
      if (phase !== 'Failed' && phase !== 'Succeeded') return true;
    }
    return false;
  };

  // ---- the reconcile (deployment_controller.go syncDeployment) ----

  const syncDeployment = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const cached = dInformer.get(ns, name) as DeploymentObj | undefined;
    if (!cached) {
      wakeups.cancel(key);
      return;
    }
    const d = clone(fresher(DEPLOYMENTS, cached));
    const sel = d.spec?.selector as LabelSelector | undefined;
    if (selectsEverything(sel)) {
      record(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata.generation };
        updateStatus(d);
      }
      return;
    }
    const rsList = replicaSetsFor(d);
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = allReplicaSetsAndSyncRevision(d, rsList, false);
      return syncDeploymentStatus([...oldRSs, newRS], newRS, d);
    }
    checkPausedConditions(d);
    if (d.spec?.paused) return syncScaling(d, rsList);
    // (isScalingEvent reads the ReplicaSets after their revision sync, as the rollout does.)
    const { newRS, oldRSs } = allReplicaSetsAndSyncRevision(d, rsList, false);
    const synced = reread(d, rsList);
    if (isScalingEvent(d, [...oldRSs, newRS])) return syncScaling(d, synced);
    switch (d.spec?.strategy?.type) {
      case 'Recreate':
        return rolloutRecreate(d, synced);
      case 'RollingUpdate':
        return rolloutRolling(d, synced);
      default:
        throw new Error(`unexpected deployment strategy type: ${d.spec?.strategy?.type}`);
    }
  };

  const queue = createQueue(
    'deployment',
    (key) => syncDeployment(key),
    (key, err) => log.debug({ err, deployment: key }, 'deployment sync failed, retrying'),
  );

  // ---- events ----

  const enqueue = (d: KubeObject) => queue.add(keyOf(d));
  /** The Deployment that controls a ReplicaSet (its controller reference, checked by uid). */
  const ownerOf = (rs: KubeObject): KubeObject | undefined => {
    const ref = controllerOf(rs);
    if (!ref?.apiVersion.startsWith('apps/')) return undefined;
    return resolveControllerRef(dInformer, 'Deployment', rs.metadata.namespace ?? '', ref);
  };
  /** upstream getDeploymentsForReplicaSet: Deployments whose selector picks an orphan. */
  const enqueueSelecting = (rs: KubeObject) => {
    for (const d of dInformer.list(rs.metadata.namespace ?? '') as DeploymentObj[])
      if (wouldAdopt(d.spec?.selector as LabelSelector | undefined, rs.metadata.labels)) enqueue(d);
  };
  const rsChanged = (rs: KubeObject, old?: KubeObject) => {
    const oldRef = old ? controllerOf(old) : undefined;
    const ref = controllerOf(rs);
    if (old && oldRef && oldRef.uid !== ref?.uid) {
      const prev = ownerOf(old);
      if (prev) enqueue(prev);
    }
    if (ref) {
      const owner = ownerOf(rs);
      if (owner) enqueue(owner);
      return;
    }
    // An orphan: whoever selects it may adopt it (on an update, only when its labels or ref changed).
    if (!old || oldRef || !semanticEqual(old.metadata.labels, rs.metadata.labels)) enqueueSelecting(rs);
  };

  const unsubs = [
    dInformer.on({
      add: (d) => enqueue(d),
      update: (d) => enqueue(d),
      delete: (d) => {
        wakeups.cancel(keyOf(d));
        enqueue(d);
      },
    }),
    rsInformer.on({
      add: (rs) => rsChanged(rs),
      update: (rs, old) => rsChanged(rs, old),
      delete: (rs) => {
        const owner = ownerOf(rs);
        if (owner) enqueue(owner);
      },
    }),
    podInformer.on({
      // A Recreate rollout waits for the old Pods to be gone.
      delete: (p) => {
        const ref = controllerOf(p);
        if (!ref || ref.kind !== 'ReplicaSet') return;
        const rs = rsInformer.get(p.metadata.namespace ?? '', ref.name);
        const d = rs ? (ownerOf(rs) as DeploymentObj | undefined) : undefined;
        if (d?.spec?.strategy?.type === 'Recreate') enqueue(d);
      },
    }),
  ];

  return {
    stop() {
      for (const u of unsubs) u();
      wakeups.stop();
      queue.stop();
    },
    idle: () => queue.idle(),
  };
}
