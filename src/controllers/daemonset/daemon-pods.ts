// The Pods a DaemonSet has (upstream daemon_controller.go getDaemonPods and getNodesToDaemonPods):
// claimed by selector (matching orphans adopted, non-matching Pods released) and grouped by the
// node each is for.
import { matchLabelSelector } from '../../apimachinery/selectors.js';
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import { claim, controllerOf } from '../workload/controller-ref.js';
import { targetNodeName } from './util.js';
import { freshDs, selectorOf, type DaemonSetContext } from './context.js';

/** The pod index of the DaemonSet that controls a Pod (its uid). */
export const DS_UID_INDEX = 'daemonset-controller-uid';

/** The Pods the DaemonSet controls (claimed: adopting matching orphans, releasing non-matching). */
export function daemonPods(c: DaemonSetContext, ds: DaemonSetObj): PodObj[] {
  const { registry, podDef, podInf } = c;
  const ns = ds.metadata.namespace ?? '';
  const sel = selectorOf(ds);
  const owned = podInf.byIndex(DS_UID_INDEX, ds.metadata.uid!) as PodObj[];
  const orphans = (podInf.list(ns) as PodObj[]).filter((p) => !controllerOf(p) && matchLabelSelector(sel, p.metadata.labels));
  return claim(ds, [...owned, ...orphans], {
    registry,
    def: podDef,
    matches: (p) => matchLabelSelector(sel, p.metadata.labels),
    fresh: freshDs(c, ds),
  });
}

/**
 * upstream getNodesToDaemonPods: the claimed Pods by the node they are for; without
 * `includeDeletedTerminal`, finished Pods that are being deleted are left out.
 */
export function nodesToDaemonPods(c: DaemonSetContext, ds: DaemonSetObj, includeDeletedTerminal = false): Map<string, PodObj[]> {
  const m = new Map<string, PodObj[]>();
  for (const pod of daemonPods(c, ds)) {
    const phase = pod.status?.phase;
    if (!includeDeletedTerminal && pod.metadata.deletionTimestamp && (phase === 'Succeeded' || phase === 'Failed')) continue;
    const node = targetNodeName(pod);
    if (!node) continue;
    const list = m.get(node);
    if (list) list.push(pod);
    else m.set(node, [pod]);
  }
  return m;
}
