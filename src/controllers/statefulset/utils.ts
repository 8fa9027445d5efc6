// The pure parts of the StatefulSet controller (upstream pkg/controller/statefulset/stateful_set_utils.go):
// a Pod's ordinal and parent from its name, the identity and storage a member Pod must have
// (name `<set>-<ordinal>`, the pod-name and pod-index labels, hostname and subdomain, one claim
// `<template>-<set>-<ordinal>` per volumeClaimTemplate mounted as the template's volume), the
// revision a set's template is recorded in and the set a revision stands for, the claims'
// ownerReferences each retention policy asks for, and the status the Pods add up to.
import type { PersistentVolumeClaim, Volume } from '../../api/generated/core/v1.js';
import type { StatefulSetStatus } from '../../api/generated/apps/v1.js';
import type { KubeObject, OwnerReference } from '../../apimachinery/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { StatefulSetObj } from '../../registry/apps/statefulset.js';
import type { PodTemplateSpec } from '../../registry/podtemplate.js';
import type { RawExtension } from '../../api/generated/runtime.js';
import { clone } from '../../apimachinery/meta.js';
import { controllerRef } from '../workload/controller-ref.js';
import { podFromTemplate } from '../workload/pod-template.js';
import { isPodReady, isPodAvailable } from '../workload/pods.js';
import { newRevision, type ControllerRevisionObj } from '../workload/history.js';

/** upstream apps.StatefulSetPodNameLabel. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** upstream apps.PodIndexLabel (PodIndexLabel feature, on by default). */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** upstream apps.StatefulSetRevisionLabel: the name of the revision a Pod was made from. */
export const REVISION_LABEL = 'controller-revision-hash';

export type PvcObj = KubeObject & PersistentVolumeClaim;

const ORDINAL_RE = /^(.*)-([0-9]+)$/;

/** upstream getParentNameAndOrdinal: `web-3` → web, 3; -1 when the name has no ordinal. */
export function parentAndOrdinal(pod: KubeObject): { parent: string; ordinal: number } {
  const m = ORDINAL_RE.exec(pod.metadata.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return Number.isSafeInteger(n) && n <= 2 ** 31 - 1 ? { parent: m[1]!, ordinal: n } : { parent: '', ordinal: -1 };
}

export const ordinalOf = (pod: KubeObject): number => parentAndOrdinal(pod).ordinal;

/** upstream isMemberOf: the Pod's name says it belongs to this set. */
export const isMemberOf = (set: StatefulSetObj, pod: KubeObject): boolean => parentAndOrdinal(pod).parent === set.metadata.name;

export const podName = (set: StatefulSetObj, ordinal: number): string => `${set.metadata.name}-${ordinal}`;
export const claimName = (template: string, set: StatefulSetObj, ordinal: number): string => `${template}-${set.metadata.name}-${ordinal}`;
export const startOrdinal = (set: StatefulSetObj): number => set.spec?.ordinals?.start ?? 0;
export const endOrdinal = (set: StatefulSetObj): number => startOrdinal(set) + (set.spec?.replicas ?? 1);
/** upstream podInOrdinalRange. */
export const inOrdinalRange = (set: StatefulSetObj, pod: KubeObject): boolean => {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o < endOrdinal(set);
};

export const revisionOf = (pod: KubeObject): string => pod.metadata.labels?.[REVISION_LABEL] ?? '';

/** upstream identityMatches: name, namespace and identity labels as the set would give them. */
export function identityMatches(set: StatefulSetObj, pod: PodObj): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  const l = pod.metadata.labels ?? {};
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.namespace === set.metadata.namespace &&
    l[POD_NAME_LABEL] === pod.metadata.name &&
    l[POD_INDEX_LABEL] === String(ordinal)
  );
}

/** The identity labels a member Pod must carry (upstream updateIdentity). */
export const identityLabels = (pod: KubeObject): Record<string, string> => ({
  [POD_NAME_LABEL]: pod.metadata.name!,
  [POD_INDEX_LABEL]: String(ordinalOf(pod)),
});

/** The claims of a member Pod by template name (upstream getPersistentVolumeClaims). */
export function claimsFor(set: StatefulSetObj, ordinal: number): Map<string, PvcObj> {
  const out = new Map<string, PvcObj>();
  const matchLabels = (set.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const name = t.metadata?.name;
    if (!name) continue;
    const meta = clone(t.metadata ?? {}) as KubeObject['metadata'] & { creationTimestamp?: string | null };
    delete meta.creationTimestamp;
    const claim: PvcObj = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        ...meta,
        name: claimName(name, set, ordinal),
        namespace: set.metadata.namespace,
        labels: { ...(meta.labels ?? {}), ...matchLabels },
      },
      spec: clone(t.spec ?? {}),
    };
    out.set(name, claim);
  }
  return out;
}

/** upstream storageMatches: every template's volume refers to the Pod's claim. */
export function storageMatches(set: StatefulSetObj, pod: PodObj): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const vols = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const [tname, claim] of claimsFor(set, ordinal)) {
    const v = vols.get(tname);
    if (!v?.persistentVolumeClaim || v.persistentVolumeClaim.claimName !== claim.metadata.name) return false;
  }
  return true;
}

/** upstream updateStorage: the templates' volumes (replacing same-named ones), then the Pod's others. */
function setStorage(set: StatefulSetObj, pod: PodObj): void {
  const claims = claimsFor(set, ordinalOf(pod));
  if (!claims.size) return;
  const vols: Volume[] = [];
  for (const [tname, claim] of claims) vols.push({ name: tname, persistentVolumeClaim: { claimName: claim.metadata.name! } });
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) vols.push(v);
  pod.spec!.volumes = vols;
}

/** The set as a Pod's owner: apiVersion and kind as the controller reference needs them. */
export const asOwner = (set: StatefulSetObj): StatefulSetObj => ({ ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' });

/** upstream newStatefulSetPod: from the template, with identity (hostname, subdomain) and storage. */
export function newPod(set: StatefulSetObj, ordinal: number): PodObj {
  const pod = podFromTemplate(set.spec?.template, set, controllerRef(asOwner(set)));
  delete pod.metadata.generateName;
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), ...identityLabels(pod) };
  pod.spec ??= { containers: [] };
  pod.spec.hostname = pod.metadata.name;
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  setStorage(set, pod);
  return pod;
}

/**
 * upstream newVersionedStatefulSetPod: ordinals below the partition (or, without a rollingUpdate,
 * below start + currentReplicas) are made from the current revision, the rest from the update
 * revision. Go's `A && B || C` grouping is kept.
 */
export function newVersionedPod(
  currentSet: StatefulSetObj,
  updateSet: StatefulSetObj,
  currentRevision: string,
  updateRevision: string,
  ordinal: number,
): PodObj {
  const us = currentSet.spec?.updateStrategy;
  const start = startOrdinal(currentSet);
  const useCurrent =
    (us?.type === 'RollingUpdate' && !us.rollingUpdate && ordinal < start + (currentSet.status?.currentReplicas ?? 0)) ||
    (!!us?.rollingUpdate && ordinal < start + (us.rollingUpdate.partition ?? 0));
  const pod = newPod(useCurrent ? currentSet : updateSet, ordinal);
  pod.metadata.labels![REVISION_LABEL] = useCurrent ? currentRevision : updateRevision;
  return pod;
}

/** The data of a set's revision (upstream getPatch): its template, with `$patch: replace`. */
export function revisionData(set: StatefulSetObj): RawExtension {
  return { spec: { template: { ...clone(set.spec?.template ?? {}), $patch: 'replace' } } };
}

/** upstream newRevision: the template's labels, the set's annotations. */
export function newSetRevision(set: StatefulSetObj, revision: number, collisionCount: number): ControllerRevisionObj {
  const cr = newRevision(asOwner(set), revisionData(set), revision, collisionCount, set.spec?.template?.metadata?.labels);
  if (set.metadata.annotations) cr.metadata.annotations = { ...set.metadata.annotations };
  return cr;
}

/** upstream ApplyRevision: the set with the revision's template. */
export function applyRevision(set: StatefulSetObj, rev: ControllerRevisionObj): StatefulSetObj {
  const out = clone(set);
  const data = rev.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined;
  const t = data?.spec?.template;
  if (t && out.spec) {
    const tmpl = clone(t);
    delete tmpl.$patch;
    out.spec.template = tmpl;
  }
  return out;
}

// ---- Pod states (upstream isCreated, isRunningAndReady, ...) ----

export const isCreated = (p: PodObj): boolean => !!p.status?.phase;
export const isPending = (p: PodObj): boolean => p.status?.phase === 'Pending';
export const isFailed = (p: PodObj): boolean => p.status?.phase === 'Failed';
export const isSucceeded = (p: PodObj): boolean => p.status?.phase === 'Succeeded';
export const isTerminating = (p: PodObj): boolean => !!p.metadata.deletionTimestamp;
export const isRunningAndReady = (p: PodObj): boolean => p.status?.phase === 'Running' && isPodReady(p);
export const isRunningAndAvailable = (p: PodObj, minReadySeconds: number, now: number): boolean =>
  p.status?.phase === 'Running' && isPodAvailable(p, minReadySeconds, now);
/** upstream isHealthy: running, ready and not terminating. */
export const isHealthy = (p: PodObj): boolean => isRunningAndReady(p) && !isTerminating(p);

// ---- claim retention (upstream updateClaimOwnerRefForSetAndPod) ----

const plainRef = (o: KubeObject, apiVersion: string, kind: string): OwnerReference => ({
  apiVersion,
  kind,
  name: o.metadata.name!,
  uid: o.metadata.uid!,
});

/**
 * The ownerReferences a claim of `pod` should have under the set's retention policy: the set's
 * when whenDeleted is Delete (and the Pod is not scaled down under whenScaled Delete); the Pod's
 * when whenScaled is Delete and the Pod is out of the ordinal range. Others' references are kept.
 */
export function wantedClaimRefs(set: StatefulSetObj, pod: PodObj, claim: PvcObj): OwnerReference[] | undefined {
  const pol = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const delDeleted = pol.whenDeleted === 'Delete';
  const delScaled = pol.whenScaled === 'Delete';
  const scaledDown = !inOrdinalRange(set, pod);
  const wantSet = delDeleted && !(delScaled && scaledDown);
  const wantPod = delScaled && scaledDown;
  const refs = claim.metadata.ownerReferences ?? [];
  const others = refs.filter((r) => r.uid !== set.metadata.uid && r.uid !== pod.metadata.uid);
  const next = [...others];
  if (wantSet) next.push(refs.find((r) => r.uid === set.metadata.uid) ?? plainRef(set, 'apps/v1', 'StatefulSet'));
  if (wantPod) next.push(refs.find((r) => r.uid === pod.metadata.uid) ?? plainRef(pod, 'v1', 'Pod'));
  const same = next.length === refs.length && next.every((r) => refs.some((x) => x.uid === r.uid));
  return same ? undefined : next;
}

/**
 * upstream PodClaimIsStale: a claim of this ordinal still owned by an earlier Pod of the same
 * name, or being deleted: the new Pod waits until it is gone.
 */
export function claimIsStale(claim: PvcObj | undefined, pod: PodObj): boolean {
  if (!claim) return false;
  if (claim.metadata.deletionTimestamp) return true;
  return (claim.metadata.ownerReferences ?? []).some((r) => r.kind === 'Pod' && r.name === pod.metadata.name && r.uid !== pod.metadata.uid);
}

// ---- status (upstream computeReplicaStatus + completeRollingUpdate) ----

export function computeStatus(
  set: StatefulSetObj,
  pods: PodObj[],
  currentRevision: string,
  updateRevision: string,
  collisionCount: number,
  now: number,
): StatefulSetStatus {
  const minReady = set.spec?.minReadySeconds ?? 0;
  const s = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const p of pods) {
    if (isCreated(p)) s.replicas++;
    if (isRunningAndReady(p)) {
      s.readyReplicas++;
      if (isRunningAndAvailable(p, minReady, now)) s.availableReplicas++;
    }
    if (isCreated(p) && !isTerminating(p)) {
      const r = revisionOf(p);
      if (r === currentRevision) s.currentReplicas++;
      if (r === updateRevision) s.updatedReplicas++;
    }
  }
  let cur = currentRevision;
  if (set.spec?.updateStrategy?.type === 'RollingUpdate' && s.updatedReplicas === s.replicas && s.readyReplicas === s.replicas) {
    s.currentReplicas = s.updatedReplicas;
    cur = updateRevision;
  }
  // Go's omitempty: zero counts and empty names are not written; replicas and availableReplicas always are.
  const out: StatefulSetStatus = { replicas: s.replicas, availableReplicas: s.availableReplicas, collisionCount };
  if (set.metadata.generation) out.observedGeneration = set.metadata.generation;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.currentReplicas) out.currentReplicas = s.currentReplicas;
  if (s.updatedReplicas) out.updatedReplicas = s.updatedReplicas;
  if (cur) out.currentRevision = cur;
  if (updateRevision) out.updateRevision = updateRevision;
  if (set.status?.conditions?.length) out.conditions = set.status.conditions;
  return out;
}
