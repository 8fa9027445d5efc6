// The RollingUpdate strategy of a DaemonSet (upstream pkg/controller/daemon/update.go rollingUpdate,
// findUpdatedPodsOnNode): without maxSurge, old Pods are deleted (unavailable ones first) while no
// more than maxUnavailable nodes lack an available Pod; with maxSurge, new Pods are created next to
// old ones on up to maxSurge nodes and the old Pod goes once the new one is available.
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { NodeObj } from '../../registry/node.js';
import { isPodAvailable } from '../workload/pods.js';
import { isPodUpdated, nodeShouldRunDaemonPod, surgeCount, unavailableCount } from './util.js';
import type { DaemonSetContext } from './context.js';
import { nodesToDaemonPods } from './daemon-pods.js';
import { syncNodes } from './manage.js';

/** upstream findUpdatedPodsOnNode: at most one new and one old live Pod, else not ok. */
function updatedPodsOnNode(pods: PodObj[], hash: string): { ok: boolean; newPod?: PodObj; oldPod?: PodObj } {
  let newPod: PodObj | undefined;
  let oldPod: PodObj | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { ok: true, newPod, oldPod };
}

/** upstream rollingUpdate: replace old Pods within maxUnavailable, or surge within maxSurge. */
export async function rollingUpdate(c: DaemonSetContext, ds: DaemonSetObj, nodes: NodeObj[], hash: string): Promise<void> {
  const byNode = nodesToDaemonPods(c, ds);
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    if (!byNode.has(node.metadata.name!)) byNode.set(node.metadata.name!, []);
  }
  let maxUnavailable = unavailableCount(ds, desired);
  const maxSurge = surgeCount(ds, desired);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  const now = c.nowMs();
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: PodObj) => isPodAvailable(p, minReady, now);
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name!, n]));

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const replace: PodObj[] = [];
    const candidates: PodObj[] = [];
    for (const pods of byNode.values()) {
      const { ok, newPod, oldPod } = updatedPodsOnNode(pods, hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        numUnavailable++;
        continue;
      }
      if (newPod) {
        if (!available(newPod)) numUnavailable++;
        continue;
      }
      if (!available(oldPod!)) {
        replace.push(oldPod!);
        numUnavailable++;
      } else if (numUnavailable < maxUnavailable) candidates.push(oldPod!);
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    await syncNodes(c, ds, [...replace, ...candidates.slice(0, remaining)], [], hash);
    return;
  }

  const oldToDelete: PodObj[] = [];
  const shouldNotRun: PodObj[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [nodeName, pods] of byNode) {
    const { ok, newPod, oldPod } = updatedPodsOnNode(pods, hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
    if (!oldPod) continue;
    const node = nodeByName.get(nodeName);
    if (!newPod) {
      const shouldRun = !!node && nodeShouldRunDaemonPod(node, ds).shouldRun;
      if (!available(oldPod)) {
        if (!shouldRun) oldToDelete.push(oldPod);
        else allowedNodes.push(nodeName);
      } else if (!shouldRun) shouldNotRun.push(oldPod);
      else if (numSurge < maxSurge) candidateNodes.push(nodeName);
      continue;
    }
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    oldToDelete.push(oldPod);
  }
  const deletable = Math.min(numAvailable - desired, shouldNotRun.length);
  if (deletable > 0) oldToDelete.push(...shouldNotRun.slice(0, deletable));
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNodes.length);
  await syncNodes(c, ds, oldToDelete, [...allowedNodes, ...candidateNodes.slice(0, remaining)], hash);
}
