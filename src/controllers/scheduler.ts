// The scheduler of a one-node cluster: every Pod without spec.nodeName (and for the default
// scheduler) is checked against this Node (unschedulable flag, taints, nodeSelector, required
// node affinity) and bound through pods/binding, or left Pending with PodScheduled=False,
// reason Unschedulable and a FailedScheduling event worded like upstream's.
import { requireDef } from '../registry/kinds.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ControllerContext, Controller } from './context.js';
import { tolerate } from './context.js';
import { createQueue } from './queue.js';
import { eventRecorder } from './events.js';
import { bindPod, setCondition } from '../registry/pod/binding.js';
import { rfc3339 } from '../apimachinery/meta.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration } from '../api/generated/core/v1.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { NodeObj } from '../registry/node.js';

function matchRequirement(labels: Record<string, string>, r: NodeSelectorRequirement): boolean {
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(v);
      const want = Number(r.values?.[0]);
      if (v === undefined || !Number.isInteger(n) || !Number.isInteger(want)) return false;
      return r.operator === 'Gt' ? n > want : n < want;
    }
    default:
      return false;
  }
}

/** nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (terms ORed, expressions ANDed). */
export function matchesNode(pod: PodObj, node: NodeObj): boolean {
  const spec = pod.spec;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return !terms || matchNodeSelectorTerms(terms, node);
}

/**
 * upstream nodeaffinity NodeSelector.Match: some term matches the Node (terms ORed; a term's
 * label expressions and `metadata.name` field expressions ANDed; an empty term matches nothing).
 * Pods' required node affinity and PersistentVolumes' node affinity (volume/util.ts) both use it.
 */
export function matchNodeSelectorTerms(terms: NodeSelectorTerm[], node: NodeObj): boolean {
  const labels = node.metadata.labels ?? {};
  const fields = { 'metadata.name': node.metadata.name ?? '' };
  return terms.some(
    (t) =>
      !!(t.matchExpressions?.length || t.matchFields?.length) &&
      (t.matchExpressions ?? []).every((r) => matchRequirement(labels, r)) &&
      (t.matchFields ?? []).every((r) => matchRequirement(fields, r)),
  );
}

function tolerates(tols: Toleration[], t: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  return tols.some((tol) => {
    if (tol.effect && tol.effect !== t.effect) return false;
    if (tol.operator === 'Exists') return !tol.key || tol.key === t.key;
    return tol.key === t.key && (tol.value ?? '') === (t.value ?? '');
  });
}

/**
 * upstream's PrioritySort (the scheduling queue's activeQ order): higher spec.priority first, then
 * the Pod that has waited longer (earlier creationTimestamp).
 */
export function schedulingOrder(a: PodObj | undefined, b: PodObj | undefined): number {
  const byPriority = (b?.spec?.priority ?? 0) - (a?.spec?.priority ?? 0);
  if (byPriority) return byPriority;
  return Date.parse(a?.metadata.creationTimestamp ?? '') - Date.parse(b?.metadata.creationTimestamp ?? '') || 0;
}

/** Why the Pod cannot go on the Node, in upstream's words; undefined when it fits. */
export function unfitReason(pod: PodObj, node: NodeObj): string | undefined {
  const ns = node.spec ?? {};
  const tols = pod.spec?.tolerations ?? [];
  if (ns.unschedulable && !tolerates(tols, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))
    return '1 node(s) were unschedulable';
  const bad = (ns.taints ?? []).find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tols, t));
  if (bad) return `1 node(s) had untolerated taint {${bad.key}: ${bad.value ?? ''}}`;
  if (!matchesNode(pod, node)) return "1 node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

export function startScheduler(ctx: ControllerContext): Controller {
  const { store, registry, defs, config, log, informers } = ctx;
  const podDef = requireDef(defs, '', 'pods');
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), 'default-scheduler', (err) =>
    log.debug({ err }, 'event not recorded'),
  );
  const pending = (p: KubeObject | undefined): p is PodObj => {
    const s = (p as PodObj | undefined)?.spec;
    return !!p && !p.metadata.deletionTimestamp && !s?.nodeName && (s?.schedulerName ?? 'default-scheduler') === 'default-scheduler';
  };
  const reconcile = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const pod = store.get('pods', ns, name);
    if (!pending(pod)) return;
    const node = store.get('nodes', '', config.nodeName) as NodeObj | undefined;
    const why = node ? unfitReason(pod, node) : '0 nodes registered';
    if (!why) {
      tolerate(() => bindPod(store, ns, name, { target: { kind: 'Node', name: config.nodeName } }), [404, 409]);
      record(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${config.nodeName}`);
      return;
    }
    const message = `0/1 nodes are available: ${why}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`;
    const status = pod.status ?? {};
    const prev = status.conditions?.find((c) => c.type === 'PodScheduled');
    if (prev?.status === 'False' && prev.message === message) return;
    const conditions = setCondition(status.conditions, {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: rfc3339(new Date()),
      reason: 'Unschedulable',
      message,
    });
    tolerate(
      () =>
        registry.update(
          podDef,
          ns,
          name,
          { ...pod, status: { ...status, conditions } },
          { subresource: 'status', fieldManager: 'default-scheduler' },
        ),
      [404, 409],
    );
    record(pod, 'Warning', 'FailedScheduling', message);
  };
  // The shared Pod informer's objects: a sort of a burst compares each Pod many times, and a
  // store read would parse it every time.
  const podInformer = informers.for('pods');
  const podOf = (key: string) => {
    const slash = key.indexOf('/');
    return podInformer.get(key.slice(0, slash), key.slice(slash + 1)) as PodObj | undefined;
  };
  // Pods waiting together are bound highest priority first, as upstream's activeQ pops them.
  const q = createQueue('scheduler', reconcile, (k, err) => log.debug({ err, pod: k }, 'scheduling retry'), {
    order: (a, b) => schedulingOrder(podOf(a), podOf(b)),
  });
  const unsubPods = store.subscribe('pods', (ev) => {
    if (ev.type !== 'DELETED' && pending(ev.object)) q.add(`${ev.namespace}/${ev.name}`);
  });
  // A changed Node (labels, taints) may make waiting Pods fit.
  const unsubNodes = store.subscribe('nodes', () => {
    for (const p of informers.list('pods')) if (pending(p)) q.add(`${p.metadata.namespace}/${p.metadata.name}`);
  });
  for (const p of informers.list('pods')) if (pending(p)) q.add(`${p.metadata.namespace}/${p.metadata.name}`);
  return {
    stop() {
      unsubPods();
      unsubNodes();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
