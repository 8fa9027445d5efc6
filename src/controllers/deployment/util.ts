// The Deployment controller's arithmetic, as pure functions (upstream
// pkg/controller/deployment/util/deployment_util.go and the parts of sync.go, rolling.go and
// progress.go that compute rather than write): the pod-template-hash, the revision and replica
// annotations a Deployment keeps on its ReplicaSets, maxSurge/maxUnavailable resolved against the
// replica count, how far the new ReplicaSet may grow, proportional shares when a Deployment is
// scaled mid-rollout, the status and its Available/Progressing conditions.
import type { DeploymentCondition, DeploymentStatus } from '../../api/generated/apps/v1.js';
import type { IntOrString } from '../../api/generated/intstr.js';
import type { DeploymentObj } from '../../registry/apps/deployment.js';
import type { ReplicaSetObj } from '../../registry/apps/replicaset.js';
import type { PodTemplateSpec } from '../../registry/podtemplate.js';
import { semanticEqual } from '../../registry/pod/validation.js';
import { goJSON, safeEncodeString } from '../workload/history.js';
import { clone } from '../../apimachinery/meta.js';

export type { ReplicaSetObj };

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** upstream apps.DefaultDeploymentUniqueLabelKey. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** upstream apps.DeprecatedRollbackTo (extensions/v1beta1's rollbackTo, kept as an annotation). */
export const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** upstream maxRevHistoryLengthInChars. */
export const MAX_REV_HISTORY_CHARS = 2000;

// Condition reasons (deployment_util.go).
export const REASON = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  failedRSCreate: 'ReplicaSetCreateError',
  newReplicaSet: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** Annotations a Deployment never copies to its ReplicaSets (nor takes back on rollback). */
const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO,
]);

const replicasOf = (rs: ReplicaSetObj | undefined) => rs?.spec?.replicas ?? 0;
export const specReplicas = (d: DeploymentObj) => d.spec?.replicas ?? 1;

// ---- the pod-template-hash (controller.ComputeHash) ----

/** FNV-1a 32-bit (Go's hash/fnv New32a) of bytes. */
function fnv32a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h = (h ^ b) >>> 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * upstream controller.ComputeHash: a stable hash of the template (its canonical JSON here, where
 * upstream prints the Go struct) and, when there is one, the collision count as 8 little-endian
 * bytes; the decimal result safe-encoded (no vowels, so never a word).
 */
export function computePodTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number | null): string {
  const body = Buffer.from(goJSON(template ?? {}), 'utf8');
  let bytes: Uint8Array = body;
  if (collisionCount !== undefined && collisionCount !== null) {
    const extra = Buffer.alloc(8);
    extra.writeUInt32LE(collisionCount >>> 0, 0);
    bytes = Buffer.concat([body, extra]);
  }
  return safeEncodeString(String(fnv32a(bytes)));
}

/** upstream EqualIgnoreHash: two templates equal but for the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined) => {
    const c = clone(t ?? {});
    if (c.metadata?.labels) {
      delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
      if (!Object.keys(c.metadata.labels).length) delete c.metadata.labels;
    }
    return c;
  };
  return semanticEqual(strip(a), strip(b));
}

// ---- new and old ReplicaSets ----

const created = (o: { metadata: { creationTimestamp?: string } }) => Date.parse(o.metadata.creationTimestamp ?? '') || 0;

/** upstream ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: ReplicaSetObj, b: ReplicaSetObj): number {
  const d = created(a) - created(b);
  if (d) return d;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
}

/** upstream FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(d: DeploymentObj, rsList: ReplicaSetObj[]): ReplicaSetObj | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** upstream FindOldReplicaSets: every other ReplicaSet (all, and those with replicas). */
export function findOldReplicaSets(d: DeploymentObj, rsList: ReplicaSetObj[]): { required: ReplicaSetObj[]; all: ReplicaSetObj[] } {
  const newRS = findNewReplicaSet(d, rsList);
  const all = rsList.filter((rs) => !newRS || rs.metadata.uid !== newRS.metadata.uid);
  return { required: all.filter((rs) => replicasOf(rs) !== 0), all };
}

/** upstream FilterActiveReplicaSets: ReplicaSets with spec.replicas > 0. */
export const activeReplicaSets = (list: (ReplicaSetObj | undefined)[]): ReplicaSetObj[] =>
  list.filter((rs): rs is ReplicaSetObj => !!rs && replicasOf(rs) > 0);

// ---- revisions ----

/** upstream Revision: the revision annotation as a number (0 when absent, NaN when unparsable). */
export function revisionOf(o: { metadata: { annotations?: Record<string, string> } } | undefined): number {
  const v = o?.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  return /^[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : Number.NaN;
}

/** upstream MaxRevision (unparsable revisions skipped). */
export function maxRevision(list: ReplicaSetObj[]): number {
  let max = 0;
  for (const rs of list) {
    const v = revisionOf(rs);
    if (!Number.isNaN(v) && v > max) max = v;
  }
  return max;
}

/** upstream ReplicaSetsByRevision: lowest revision first, then oldest. */
export function byRevision(a: ReplicaSetObj, b: ReplicaSetObj): number {
  const ra = revisionOf(a) || 0;
  const rb = revisionOf(b) || 0;
  return ra === rb ? byCreation(a, b) : ra - rb;
}

/** upstream copyDeploymentAnnotationsToReplicaSet; true when the ReplicaSet's changed. */
function copyAnnotationsToReplicaSet(d: DeploymentObj, rs: ReplicaSetObj): boolean {
  let changed = false;
  rs.metadata.annotations ??= {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || rs.metadata.annotations[k] === v) continue;
    rs.metadata.annotations[k] = v;
    changed = true;
  }
  return changed;
}

/** upstream SetReplicasAnnotations; true when they changed. */
export function setReplicasAnnotations(rs: ReplicaSetObj, desired: number, max: number): boolean {
  rs.metadata.annotations ??= {};
  const a = rs.metadata.annotations;
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

/** upstream ReplicasAnnotationsNeedUpdate. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSetObj, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * upstream SetNewReplicaSetAnnotations: the Deployment's annotations copied, the revision raised to
 * `newRevision` when lower (the old one appended to the revision history: a rollback), and the
 * replica annotations on a ReplicaSet about to be created. True when anything changed.
 */
export function setNewReplicaSetAnnotations(d: DeploymentObj, rs: ReplicaSetObj, newRevision: number, exists: boolean): boolean {
  let changed = copyAnnotationsToReplicaSet(d, rs);
  const a = (rs.metadata.annotations ??= {});
  const had = REVISION_ANNOTATION in a;
  const oldText = a[REVISION_ANNOTATION] ?? '';
  let oldRevision = 0;
  if (oldText !== '') {
    if (!/^[+-]?\d+$/.test(oldText)) return false;
    oldRevision = Number.parseInt(oldText, 10);
  }
  if (oldRevision < newRevision) {
    a[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (had) {
      const history = a[REVISION_HISTORY_ANNOTATION] ?? '';
      if (!history) a[REVISION_HISTORY_ANNOTATION] = oldText;
      else {
        const olds = history.split(',');
        let total = history.length + oldText.length + 1;
        let start = 0;
        while (total > MAX_REV_HISTORY_CHARS && start < olds.length) {
          total -= olds[start]!.length + 1;
          start++;
        }
        if (total <= MAX_REV_HISTORY_CHARS) a[REVISION_HISTORY_ANNOTATION] = [...olds.slice(start), oldText].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

/** upstream getDesiredReplicasAnnotation / getMaxReplicasAnnotation (undefined when absent or bad). */
function intAnnotation(rs: ReplicaSetObj, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  return v !== undefined && /^[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : undefined;
}
export const desiredReplicasAnnotation = (rs: ReplicaSetObj) => intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);

// ---- surge and unavailability ----

export const isRollingUpdate = (d: DeploymentObj) => d.spec?.strategy?.type === 'RollingUpdate';

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) return /^[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : 0;
  const pct = Number.parseInt(v.slice(0, -1), 10);
  if (Number.isNaN(pct)) return 0;
  const x = (pct * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** upstream ResolveFenceposts: surge rounded up, unavailability down, never both 0. */
export function resolveFenceposts(surge: IntOrString | undefined, unavailable: IntOrString | undefined, desired: number): [number, number] {
  const s = scaledValue(surge ?? 0, desired, true);
  let u = scaledValue(unavailable ?? 0, desired, false);
  if (s === 0 && u === 0) u = 1;
  return [s, u];
}

/** upstream MaxUnavailable. */
export function maxUnavailable(d: DeploymentObj): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const [, u] = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas);
  return Math.min(u, replicas);
}

/** upstream MaxSurge. */
export function maxSurge(d: DeploymentObj): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, specReplicas(d))[0];
}

/** upstream GetReplicaCountForReplicaSets: the sum of spec.replicas. */
export const replicaCount = (list: (ReplicaSetObj | undefined)[]) => list.reduce((n, rs) => n + replicasOf(rs), 0);
/** upstream GetActualReplicaCountForReplicaSets: the sum of status.replicas. */
export const actualReplicaCount = (list: (ReplicaSetObj | undefined)[]) => list.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
const readyReplicaCount = (list: (ReplicaSetObj | undefined)[]) => list.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const availableReplicaCount = (list: (ReplicaSetObj | undefined)[]) =>
  list.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

/** upstream NewRSNewReplicas: how many replicas the new ReplicaSet may have now. */
export function newRSNewReplicas(d: DeploymentObj, allRSs: (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj): number {
  const replicas = specReplicas(d);
  if (d.spec?.strategy?.type === 'Recreate') return replicas;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? 0, replicas, true);
  const current = replicaCount(allRSs);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicas - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** upstream IsSaturated: the new ReplicaSet runs all the Deployment wants, all available. */
export function isSaturated(d: DeploymentObj, rs: ReplicaSetObj | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  const replicas = specReplicas(d);
  return replicasOf(rs) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}

/** upstream FindActiveOrLatest: the one active ReplicaSet, the newest when none; none when several are active. */
export function findActiveOrLatest(newRS: ReplicaSetObj | undefined, oldRSs: ReplicaSetObj[]): ReplicaSetObj | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** upstream ReplicaSetsBySizeOlder / BySizeNewer: larger first; ties by age. */
export function bySize(newerFirst: boolean): (a: ReplicaSetObj, b: ReplicaSetObj) => number {
  return (a, b) => {
    const d = replicasOf(b) - replicasOf(a);
    if (d) return d;
    return newerFirst ? byCreation(b, a) : byCreation(a, b);
  };
}

/** Go's integer.RoundToInt32: half away from zero. */
const roundHalfAway = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x));

/** upstream getReplicaSetFraction. */
function replicaSetFraction(rs: ReplicaSetObj, d: DeploymentObj): number {
  const replicas = specReplicas(d);
  if (replicas === 0) return -replicasOf(rs);
  const maxNow = replicas + maxSurge(d);
  let before = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
  if (!before) {
    before = d.status?.replicas ?? 0;
    if (!before) return 0;
  }
  return roundHalfAway((replicasOf(rs) * maxNow) / before) - replicasOf(rs);
}

/** upstream GetProportion: this ReplicaSet's share of `toAdd` (negative when scaling down). */
export function proportion(rs: ReplicaSetObj, d: DeploymentObj, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

// ---- conditions and status ----

export type Condition = DeploymentCondition;

export function newCondition(type: string, status: string, reason: string, message: string, now: string): Condition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export const getCondition = (s: DeploymentStatus | undefined, type: string): Condition | undefined =>
  s?.conditions?.find((c) => c.type === type);

/** upstream SetDeploymentCondition: no change for the same status and reason; transition time kept for the same status. */
export function setCondition(s: DeploymentStatus, c: Condition): void {
  const cur = getCondition(s, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  s.conditions = [...(s.conditions ?? []).filter((x) => x.type !== c.type), c];
}

export function removeCondition(s: DeploymentStatus, type: string): void {
  const left = (s.conditions ?? []).filter((x) => x.type !== type);
  if (left.length) s.conditions = left;
  else delete s.conditions;
}

/** upstream HasProgressDeadline. */
export const hasProgressDeadline = (d: DeploymentObj) =>
  typeof d.spec?.progressDeadlineSeconds === 'number' && d.spec.progressDeadlineSeconds !== 2147483647;

/** upstream calculateStatus: counts from the ReplicaSets and the Available condition. */
export function calculateStatus(
  allRSs: (ReplicaSetObj | undefined)[],
  newRS: ReplicaSetObj | undefined,
  d: DeploymentObj,
  now: string,
): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const unavailable = Math.max(0, replicaCount(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
  };
  // Every count is `omitempty` upstream: zeros are not written.
  for (const k of [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ] as const)
    if (!status[k]) delete status[k];
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= specReplicas(d) - maxUnavailable(d))
    setCondition(status, newCondition('Available', 'True', REASON.minimumReplicasAvailable, 'Deployment has minimum availability.', now));
  else
    setCondition(
      status,
      newCondition('Available', 'False', REASON.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now),
    );
  return status;
}

/** upstream DeploymentComplete. */
export function deploymentComplete(d: DeploymentObj, s: DeploymentStatus): boolean {
  const r = specReplicas(d);
  return (
    (s.updatedReplicas ?? 0) === r &&
    (s.replicas ?? 0) === r &&
    (s.availableReplicas ?? 0) === r &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** upstream DeploymentProgressing: more updated, ready or available replicas, or fewer old ones. */
export function deploymentProgressing(d: DeploymentObj, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const n = (v: number | undefined) => v ?? 0;
  return (
    n(s.updatedReplicas) > n(old.updatedReplicas) ||
    n(s.replicas) - n(s.updatedReplicas) < n(old.replicas) - n(old.updatedReplicas) ||
    n(s.readyReplicas) > n(old.readyReplicas) ||
    n(s.availableReplicas) > n(old.availableReplicas)
  );
}

/** upstream DeploymentTimedOut: no progress reported within progressDeadlineSeconds of `now` (ms). */
export function deploymentTimedOut(d: DeploymentObj, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === REASON.newRSAvailable) return false;
  if (c.reason === REASON.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return false;
  return from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}
