// The RollingUpdate strategy (upstream pkg/controller/deployment/rolling.go): scale the new
// ReplicaSet up within maxSurge, then the old ones down within maxUnavailable, unhealthy old
// replicas first; old ReplicaSets are cleaned up once the rollout is complete.
import type { DeploymentObj } from '../../registry/apps/deployment.js';
import {
  activeReplicaSets,
  availableReplicaCount,
  byCreation,
  deploymentComplete,
  maxUnavailable,
  newRSNewReplicas,
  replicaCount,
  specReplicas,
  type ReplicaSetObj,
} from './util.js';
import { replicasOf, type DeploymentContext } from './context.js';
import { allReplicaSetsAndSyncRevision, cleanupDeployment, refresh, scaleAndRecord } from './sync.js';
import { syncRolloutStatus } from './progress.js';

/** upstream rolloutRolling. */
export function rolloutRolling(c: DeploymentContext, d: DeploymentObj, rsList: ReplicaSetObj[]): void {
  const first = allReplicaSetsAndSyncRevision(c, d, rsList, true);
  let newRS = first.newRS!;
  const oldRSs = first.oldRSs;
  const all = () => [...oldRSs, newRS];
  // Scale up, if we can.
  const target = specReplicas(d);
  if (replicasOf(newRS) !== target) {
    const want = replicasOf(newRS) > target ? target : newRSNewReplicas(d, all(), newRS);
    const [scaledUp, rs] = scaleAndRecord(c, newRS, want, d);
    newRS = rs;
    if (scaledUp) return syncRolloutStatus(c, all(), newRS, d);
  }
  // Scale down, if we can.
  if (reconcileOldReplicaSets(c, all(), activeReplicaSets(oldRSs), newRS, d)) {
    const fresh = refresh(c, d, [...oldRSs, newRS]);
    return syncRolloutStatus(c, fresh.all, fresh.newRS, d);
  }
  if (deploymentComplete(d, d.status ?? {})) cleanupDeployment(c, oldRSs, d);
  syncRolloutStatus(c, all(), newRS, d);
}

/** upstream reconcileOldReplicaSets: unhealthy old replicas first, then within maxUnavailable. */
function reconcileOldReplicaSets(
  c: DeploymentContext,
  allRSs: ReplicaSetObj[],
  oldRSs: ReplicaSetObj[],
  newRS: ReplicaSetObj,
  d: DeploymentObj,
): boolean {
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
    const [, out] = scaleAndRecord(c, rs, replicasOf(rs) - n, d);
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
      scaleAndRecord(c, rs, replicasOf(rs) - n, d);
      scaled += n;
    }
  }
  return cleaned + scaled > 0;
}
