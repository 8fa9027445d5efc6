// The pure parts of the DaemonSet controller (upstream pkg/controller/daemon/util and the helpers
// of daemon_controller.go / update.go): whether a node should run the daemon Pod, the template
// daemon Pods are stamped from (automatic tolerations, generation and revision labels, node
// affinity to their node), which node a Pod is for, the revision patch that `kubectl rollout
// undo` applies, and the surge/unavailability budgets of a rolling update.
import type { Affinity, NodeSelectorRequirement, PodSpec, Taint, Toleration } from '../../api/generated/core/v1.js';
import type { IntOrString } from '../../api/generated/intstr.js';
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import { templateGeneration } from '../../registry/apps/daemonset.js';
import type { PodTemplateSpec } from '../../registry/podtemplate.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { NodeObj } from '../../registry/node.js';
import { matchesNode } from '../scheduler.js';
import { canonicalData, goJSON, POD_REVISION_LABEL, type ControllerRevisionObj } from '../workload/history.js';
import { clone, deepEqual } from '../../apimachinery/meta.js';

/** upstream extensions.DaemonSetTemplateGenerationKey. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** The tolerations every daemon Pod gets (upstream AddOrUpdateDaemonPodTolerations). */
function daemonTolerations(spec: PodSpec): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/** upstream Toleration.MatchToleration: same key, operator, value and effect. */
const sameToleration = (a: Toleration, b: Toleration) =>
  (a.key ?? '') === (b.key ?? '') &&
  (a.operator ?? '') === (b.operator ?? '') &&
  (a.value ?? '') === (b.value ?? '') &&
  (a.effect ?? '') === (b.effect ?? '');

/** upstream v1helper.AddOrUpdateTolerationInPodSpec, for each automatic toleration. */
export function addDaemonTolerations(spec: PodSpec): void {
  for (const tol of daemonTolerations(spec)) {
    const list = spec.tolerations ?? [];
    let found = false;
    const next = list.map((t) => {
      if (!sameToleration(tol, t)) return t;
      found = true;
      return { ...tol };
    });
    if (!found) next.push({ ...tol });
    spec.tolerations = next;
  }
}

/** upstream Toleration.ToleratesTaint. */
function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if ((tol.key ?? '') !== '' && tol.key !== taint.key) return false;
  switch (tol.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
    case '':
      return (tol.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** upstream FindMatchingUntoleratedTaint over the taints `filter` keeps. */
export function untoleratedTaint(taints: readonly Taint[], tols: readonly Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  return taints.find((t) => filter(t) && !tols.some((tol) => toleratesTaint(tol, t)));
}

/** The Pod the DaemonSet would run on `node` (upstream NewPod): template spec, node name, tolerations. */
function newPod(ds: DaemonSetObj, nodeName: string): PodObj {
  const spec = clone(ds.spec?.template?.spec ?? ({ containers: [] } as PodSpec));
  spec.nodeName = nodeName;
  addDaemonTolerations(spec);
  return { metadata: { namespace: ds.metadata.namespace, labels: ds.spec?.template?.metadata?.labels ?? undefined }, spec };
}

/**
 * upstream NodeShouldRunDaemonPod: `shouldRun` (a daemon Pod belongs on the node: node name,
 * nodeSelector and required node affinity match, every NoSchedule/NoExecute taint tolerated) and
 * `shouldContinueRunning` (a running one may stay: only NoSchedule taints are untolerated).
 */
export function nodeShouldRunDaemonPod(node: NodeObj, ds: DaemonSetObj): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const nodeName = node.metadata.name!;
  const want = ds.spec?.template?.spec?.nodeName;
  if (want && want !== nodeName) return { shouldRun: false, shouldContinueRunning: false };
  const pod = newPod(ds, nodeName);
  // The node name matches by construction; node affinity and selector as the scheduler checks them.
  if (!matchesNode({ ...pod, spec: { ...pod.spec!, affinity: ds.spec?.template?.spec?.affinity } }, node))
    return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  const tols = pod.spec?.tolerations ?? [];
  if (untoleratedTaint(taints, tols, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) {
    return { shouldRun: false, shouldContinueRunning: !untoleratedTaint(taints, tols, (t) => t.effect === 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** upstream CreatePodTemplate: the template with daemon tolerations and the generation and hash labels. */
export function daemonPodTemplate(ds: DaemonSetObj, hash: string): PodTemplateSpec {
  const t = clone(ds.spec?.template ?? {});
  t.metadata ??= {};
  t.spec ??= { containers: [] };
  addDaemonTolerations(t.spec);
  const labels = { ...(t.metadata.labels ?? {}) };
  const gen = ds.metadata.annotations?.['deprecated.daemonset.template.generation'];
  if (gen !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(templateGeneration(ds));
  if (hash) labels[POD_REVISION_LABEL] = hash;
  t.metadata.labels = labels;
  return t;
}

/**
 * upstream ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes one term
 * selecting the node by `metadata.name` (the scheduler then binds the Pod there).
 */
export function nodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const req: NodeSelectorRequirement = { key: 'metadata.name', operator: 'In', values: [nodeName] };
  const terms = [{ matchFields: [req] }];
  const a: Affinity = affinity ? clone(affinity) : {};
  if (!a.nodeAffinity) a.nodeAffinity = {};
  if (!a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution)
    a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: terms };
  else a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms = terms;
  return a;
}

/** upstream GetTargetNodeName: spec.nodeName, else the node its `metadata.name` affinity names. */
export function targetNodeName(pod: PodObj): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const e of term.matchFields ?? []) {
      if (e.key === 'metadata.name' && e.operator === 'In') return e.values?.length === 1 ? e.values[0] : undefined;
    }
  }
  return undefined;
}

/**
 * upstream IsPodUpdated: the Pod carries the current revision's hash. (Upstream's template
 * generation comparison prints a pointer and never matches; the hash decides.)
 */
export const isPodUpdated = (pod: PodObj, hash: string): boolean => !!hash && pod.metadata.labels?.[POD_REVISION_LABEL] === hash;

/**
 * upstream getPatch (and kubectl's getDaemonSetPatch): the strategic merge patch that restores the
 * DaemonSet's template, `{"spec":{"template":{...,"$patch":"replace"}}}` with Go's key order.
 */
export function revisionPatch(ds: DaemonSetObj): Record<string, unknown> {
  const template = { ...(clone(ds.spec?.template ?? {}) as Record<string, unknown>), $patch: 'replace' };
  return canonicalData({ spec: { template } });
}

/** upstream Match: the revision's data is this DaemonSet's template patch. */
export const revisionMatches = (ds: DaemonSetObj, cr: ControllerRevisionObj): boolean =>
  goJSON(revisionPatch(ds)) === goJSON(cr.data ?? null);

/** upstream intstr.GetScaledValueFromIntOrPercent with roundUp. */
export function scaledValue(v: IntOrString | undefined, total: number): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^[+-]?\d+$/.test(v)) return Number.parseInt(v, 10);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** upstream SurgeCount / UnavailableCount (0 unless RollingUpdate). */
export function surgeCount(ds: DaemonSetObj, n: number): number {
  const us = ds.spec?.updateStrategy;
  if (us?.type !== 'RollingUpdate' || !us.rollingUpdate) return 0;
  return scaledValue(us.rollingUpdate.maxSurge, n);
}
export function unavailableCount(ds: DaemonSetObj, n: number): number {
  const us = ds.spec?.updateStrategy;
  if (us?.type !== 'RollingUpdate' || !us.rollingUpdate) return 0;
  return scaledValue(us.rollingUpdate.maxUnavailable, n);
}

const created = (p: PodObj) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
/** upstream podByCreationTimestampAndPhase: scheduled first, then oldest, then by name. */
export function byCreationAndPhase(a: PodObj, b: PodObj): number {
  const an = a.spec?.nodeName ? 0 : 1;
  const bn = b.spec?.nodeName ? 0 : 1;
  if (an !== bn) return an - bn;
  const ta = created(a);
  const tb = created(b);
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Did a Node change in a way the DaemonSet controller cares about (labels, taints, spec)? */
export const nodeChangeMatters = (a: NodeObj, b: NodeObj): boolean =>
  !deepEqual(a.metadata.labels, b.metadata.labels) || !deepEqual(a.spec, b.spec);
