// What every kind of Deployment sync does (upstream pkg/controller/deployment/sync.go): scaling
// (a scaling event or a paused Deployment, shared proportionally among the active ReplicaSets),
// finding or creating the new ReplicaSet and syncing revisions, the paused conditions, cleaning up
// old ReplicaSets beyond revisionHistoryLimit, and the status without progress estimation.
import { clone } from '../../apimachinery/meta.js';
import { tolerate } from '../context.js';
import type { StatusError } from '../../apimachinery/errors.js';
import type { DeploymentObj } from '../../registry/apps/deployment.js';
import { semanticEqual } from '../../registry/pod/validation.js';
import { controllerOf, controllerRef } from '../workload/controller-ref.js';
import {
  POD_TEMPLATE_HASH_LABEL,
  REASON,
  activeReplicaSets,
  byRevision,
  bySize,
  calculateStatus,
  computePodTemplateHash,
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
  newCondition,
  newRSNewReplicas,
  proportion,
  replicaCount,
  replicasAnnotationsNeedUpdate,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  type ReplicaSetObj,
} from './util.js';
import { FIELD_MANAGER, REPLICASETS, isStatus, replicasOf, type DeploymentContext } from './context.js';

// ---- scaling ----

/** upstream scaleReplicaSet: size and replica annotations; a ScalingReplicaSet event when the size changed. */
export function scaleReplicaSet(
  c: DeploymentContext,
  rs: ReplicaSetObj,
  newScale: number,
  d: DeploymentObj,
  op: 'up' | 'down',
): [boolean, ReplicaSetObj] {
  const desired = specReplicas(d);
  const max = desired + maxSurge(d);
  const sizeNeedsUpdate = replicasOf(rs) !== newScale;
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return [false, rs];
  const oldScale = replicasOf(rs);
  const copy = clone(rs);
  copy.spec = { ...copy.spec!, replicas: newScale };
  setReplicasAnnotations(copy, desired, max);
  const out = c.updateRS(copy);
  if (sizeNeedsUpdate)
    c.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${out.metadata.name} from ${oldScale} to ${newScale}`);
  return [sizeNeedsUpdate, out];
}

/** upstream scaleReplicaSetAndRecordEvent. */
export const scaleAndRecord = (c: DeploymentContext, rs: ReplicaSetObj, newScale: number, d: DeploymentObj): [boolean, ReplicaSetObj] =>
  replicasOf(rs) === newScale ? [false, rs] : scaleReplicaSet(c, rs, newScale, d, replicasOf(rs) < newScale ? 'up' : 'down');

/** upstream scale: a scaling event (or a paused Deployment), proportionally among active ReplicaSets. */
export function scale(c: DeploymentContext, d: DeploymentObj, newRS: ReplicaSetObj | undefined, oldRSs: ReplicaSetObj[]): void {
  const target = specReplicas(d);
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (replicasOf(activeOrLatest) !== target) scaleAndRecord(c, activeOrLatest, target, d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) scaleAndRecord(c, old, 0, d);
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
    scaleReplicaSet(c, rs, size, d, op);
  });
}

/** upstream isScalingEvent: an active ReplicaSet was sized for another replica count. */
export const isScalingEvent = (d: DeploymentObj, all: (ReplicaSetObj | undefined)[]): boolean =>
  activeReplicaSets(all).some((rs) => {
    const desired = desiredReplicasAnnotation(rs);
    return desired !== undefined && desired !== specReplicas(d);
  });

// ---- the new and old ReplicaSets ----

/** upstream getNewReplicaSet: the ReplicaSet of the current template (created when asked), revision synced. */
export function getNewReplicaSet(
  c: DeploymentContext,
  d: DeploymentObj,
  rsList: ReplicaSetObj[],
  oldRSs: ReplicaSetObj[],
  create: boolean,
): ReplicaSetObj | undefined {
  const { registry, rsDef, record, now, updateStatus, annotationsDirty } = c;
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = maxRevision(oldRSs) + 1;
  if (existing) {
    const copy = clone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    const minReady = d.spec?.minReadySeconds ?? 0;
    if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== minReady) {
      copy.spec = { ...copy.spec!, minReadySeconds: minReady };
      return c.updateRS(copy);
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
    c.noteWrite(REPLICASETS, createdRS);
  } catch (e) {
    if (isStatus(e, 409, 'AlreadyExists')) {
      alreadyExists = true;
      const rs = c.readRS(d.metadata.namespace!, newRS.metadata.name!);
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
}

/** upstream SetDeploymentRevision: the Deployment's revision annotation; true when it changed. */
function setDeploymentRevision(d: DeploymentObj, revision: string): boolean {
  d.metadata.annotations ??= {};
  if (d.metadata.annotations['deployment.kubernetes.io/revision'] === revision) return false;
  d.metadata.annotations['deployment.kubernetes.io/revision'] = revision;
  return true;
}

/** upstream getAllReplicaSetsAndSyncRevision. */
export function allReplicaSetsAndSyncRevision(c: DeploymentContext, d: DeploymentObj, rsList: ReplicaSetObj[], create: boolean) {
  const { all: oldRSs } = findOldReplicaSets(d, rsList);
  const newRS = getNewReplicaSet(c, d, rsList, oldRSs, create);
  return { newRS, oldRSs };
}

/** The Deployment's ReplicaSets as they are after our writes (upstream works on the objects its writes returned). */
export function reread(c: DeploymentContext, d: DeploymentObj, rsList: ReplicaSetObj[]): ReplicaSetObj[] {
  const uids = new Set(rsList.map((rs) => rs.metadata.uid));
  return c.listReplicaSets(d.metadata.namespace!).filter((o) => uids.has(o.metadata.uid) || controllerOf(o)?.uid === d.metadata.uid);
}
export function refresh(c: DeploymentContext, d: DeploymentObj, rsList: ReplicaSetObj[]) {
  const list = reread(c, d, rsList);
  const newRS = findNewReplicaSet(d, list);
  const { all: oldRSs } = findOldReplicaSets(d, list);
  return { newRS, oldRSs, all: [...oldRSs, newRS] };
}

// ---- status, paused conditions, cleanup ----

/** upstream syncDeploymentStatus. */
export function syncDeploymentStatus(
  c: DeploymentContext,
  all: (ReplicaSetObj | undefined)[],
  newRS: ReplicaSetObj | undefined,
  d: DeploymentObj,
): void {
  const status = calculateStatus(all, newRS, d, c.now());
  if (semanticEqual(d.status ?? {}, status) && !c.annotationsDirty.has(d)) return;
  d.status = status;
  c.updateStatus(d);
}

/** upstream checkPausedConditions: Progressing Unknown while paused, DeploymentResumed after. */
export function checkPausedConditions(c: DeploymentContext, d: DeploymentObj): void {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === REASON.timedOut) return;
  const pausedCond = cond?.reason === REASON.paused;
  let next;
  if (d.spec?.paused && !pausedCond) next = newCondition('Progressing', 'Unknown', REASON.paused, 'Deployment is paused', c.now());
  else if (!d.spec?.paused && pausedCond) next = newCondition('Progressing', 'Unknown', REASON.resumed, 'Deployment is resumed', c.now());
  if (!next) return;
  d.status ??= {};
  setCondition(d.status, next);
  c.updateStatus(d);
}

/** upstream cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit, scaled to 0 and settled, go. */
export function cleanupDeployment(c: DeploymentContext, oldRSs: ReplicaSetObj[], d: DeploymentObj): void {
  const limit = d.spec?.revisionHistoryLimit;
  if (typeof limit !== 'number') return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(byRevision);
  const diff = cleanable.length - limit;
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i]!;
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0) continue;
    if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    tolerate(() => {
      const r = c.registry.delete(c.rsDef, rs.metadata.namespace!, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
      c.noteWrite(REPLICASETS, r.object, r.deleted);
    }, [404, 409]);
  }
}

/** upstream sync: scaling and paused Deployments. */
export function syncScaling(c: DeploymentContext, d: DeploymentObj, rsList: ReplicaSetObj[]): void {
  const { newRS, oldRSs } = allReplicaSetsAndSyncRevision(c, d, rsList, false);
  scale(c, d, newRS, oldRSs);
  if (d.spec?.paused) cleanupDeployment(c, oldRSs, d);
  const fresh = refresh(c, d, rsList);
  syncDeploymentStatus(c, fresh.all, fresh.newRS, d);
}
