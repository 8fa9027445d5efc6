// The rollout's status with progress estimated against progressDeadlineSeconds (upstream
// pkg/controller/deployment/progress.go): the Progressing condition (NewReplicaSetAvailable,
// ReplicaSetUpdated, ProgressDeadlineExceeded), the ReplicaSets' ReplicaFailure carried over, and
// a later sync when the deadline passes.
import type { DeploymentStatus } from '../../api/generated/apps/v1.js';
import type { DeploymentObj } from '../../registry/apps/deployment.js';
import { semanticEqual } from '../../registry/pod/validation.js';
import {
  REASON,
  calculateStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  removeCondition,
  setCondition,
  type ReplicaSetObj,
} from './util.js';
import { keyOf, type DeploymentContext } from './context.js';

/** upstream syncRolloutStatus: the status, with progress estimated against the deadline. */
export function syncRolloutStatus(
  c: DeploymentContext,
  all: (ReplicaSetObj | undefined)[],
  newRS: ReplicaSetObj | undefined,
  d: DeploymentObj,
): void {
  const { now } = c;
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
      const cond = newCondition('Progressing', 'True', REASON.replicaSetUpdated, msg, now());
      if (cur) {
        if (cur.status === 'True') cond.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(status, 'Progressing');
      }
      status.conditions = [...(status.conditions ?? []), cond];
    } else if (deploymentTimedOut(d, status, c.nowMs())) {
      const msg = newRS
        ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`
        : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(status, newCondition('Progressing', 'False', REASON.timedOut, msg, now()));
    }
  }
  // Failure conditions of the ReplicaSets (the new one first) become the Deployment's.
  const failure = [newRS, ...all.filter((rs) => rs !== newRS)]
    .map((rs) => rs?.status?.conditions?.find((cond) => cond.type === 'ReplicaFailure'))
    .find((cond) => cond);
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
  if (semanticEqual(d.status ?? {}, status) && !c.annotationsDirty.has(d)) {
    requeueStuck(c, d, status);
    return;
  }
  d.status = status;
  c.updateStatus(d);
}

/** upstream requeueStuckDeployment: check again when the progress deadline passes. */
function requeueStuck(c: DeploymentContext, d: DeploymentObj, status: DeploymentStatus): void {
  const cur = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !cur) return;
  if (deploymentComplete(d, status) || cur.reason === REASON.timedOut) return;
  const last = Date.parse(cur.lastUpdateTime ?? '');
  if (Number.isNaN(last)) return;
  const after = last + d.spec!.progressDeadlineSeconds! * 1000 - c.nowMs();
  c.requeueAfter(keyOf(d), after < 1000 ? 1000 : after + 1000);
}
