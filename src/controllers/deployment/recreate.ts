// The Recreate strategy (upstream pkg/controller/deployment/recreate.go): scale the old
// ReplicaSets to 0, wait until their Pods are gone, then create and scale up the new one.
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import type { DeploymentObj } from '../../registry/apps/deployment.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import { controllerOf } from '../workload/controller-ref.js';
import { activeReplicaSets, actualReplicaCount, deploymentComplete, specReplicas, type ReplicaSetObj } from './util.js';
import type { DeploymentContext } from './context.js';
import { allReplicaSetsAndSyncRevision, cleanupDeployment, refresh, scaleAndRecord } from './sync.js';
import { syncRolloutStatus } from './progress.js';

/** upstream rolloutRecreate: old ReplicaSets to 0, wait for their Pods to go, then the new one. */
export function rolloutRecreate(c: DeploymentContext, d: DeploymentObj, rsList: ReplicaSetObj[]): void {
  const first = allReplicaSetsAndSyncRevision(c, d, rsList, false);
  let newRS = first.newRS;
  let oldRSs = first.oldRSs;
  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    const [scaled] = scaleAndRecord(c, rs, 0, d);
    if (scaled) scaledDown = true;
  }
  if (scaledDown) {
    const fresh = refresh(c, d, rsList);
    return syncRolloutStatus(c, fresh.all, fresh.newRS, d);
  }
  if (oldPodsRunning(c, d, newRS, oldRSs, rsList)) return syncRolloutStatus(c, [...oldRSs, newRS], newRS, d);
  if (!newRS) {
    const again = allReplicaSetsAndSyncRevision(c, d, rsList, true);
    newRS = again.newRS;
    oldRSs = again.oldRSs;
  }
  if (newRS) [, newRS] = scaleAndRecord(c, newRS, specReplicas(d), d);
  if (deploymentComplete(d, d.status ?? {})) cleanupDeployment(c, oldRSs, d);
  syncRolloutStatus(c, [...oldRSs, newRS], newRS, d);
}

/** upstream oldPodsRunning: old ReplicaSets report Pods, or Pods of theirs are not finished. */
function oldPodsRunning(
  c: DeploymentContext,
  d: DeploymentObj,
  newRS: ReplicaSetObj | undefined,
  oldRSs: ReplicaSetObj[],
  rsList: ReplicaSetObj[],
): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  const uids = new Set(rsList.map((rs) => rs.metadata.uid));
  const sel = d.spec?.selector as LabelSelector | undefined;
  for (const p of c.podInformer.list(d.metadata.namespace) as PodObj[]) {
    const ref = controllerOf(p);
    if (!ref || !uids.has(ref.uid) || (newRS && ref.uid === newRS.metadata.uid)) continue;
    if (!matchLabelSelector(sel, p.metadata.labels)) continue;
    const phase = p.status?.phase;
    if (phase !== 'Failed' && phase !== 'Succeeded') return true;
  }
  return false;
}
