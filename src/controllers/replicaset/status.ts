// The status a ReplicaSet (or ReplicationController) reports for the Pods it owns (upstream
// replica_set_utils.go calculateStatus, NewReplicaSetCondition / SetCondition / RemoveCondition,
// and updateReplicaSetStatus's "nothing changed" test). Pure functions: the controller decides
// when to write.
import type { ReplicaSetCondition, ReplicaSetStatus } from '../../api/generated/apps/v1.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import { matchSelectorMap } from '../../apimachinery/selectors.js';
import { rfc3339 } from '../../apimachinery/meta.js';
import { deepEqual } from '../../apimachinery/meta.js';
import { isPodAvailable, isPodReady } from '../workload/pods.js';

/** upstream apps.ReplicaSetReplicaFailure (core's ReplicationControllerReplicaFailure is the same). */
export const REPLICA_FAILURE = 'ReplicaFailure';

export interface ReplicaOwner {
  metadata: { generation?: number };
  spec?: { replicas?: number; minReadySeconds?: number; template?: { metadata?: { labels?: Record<string, string> } } };
  status?: ReplicaSetStatus;
}

/** upstream calculateStatus: counts of the owned active Pods and the ReplicaFailure condition. */
export function calculateStatus(owner: ReplicaOwner, pods: PodObj[], manageError: Error | undefined, now: number): ReplicaSetStatus {
  const old = owner.status ?? { replicas: 0 };
  const templateLabels = owner.spec?.template?.metadata?.labels ?? {};
  const minReady = owner.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (matchSelectorMap(templateLabels, p.metadata.labels ?? {})) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  let conditions = old.conditions ? [...old.conditions] : undefined;
  const failure = conditions?.find((c) => c.type === REPLICA_FAILURE);
  if (manageError && !failure) {
    const diff = pods.length - (owner.spec?.replicas ?? 0);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const cond: ReplicaSetCondition = {
      type: REPLICA_FAILURE,
      status: 'True',
      lastTransitionTime: rfc3339(new Date(now)),
      reason,
      message: manageError.message,
    };
    conditions = [...(conditions ?? []), cond];
  } else if (!manageError && failure) {
    conditions = conditions!.filter((c) => c.type !== REPLICA_FAILURE);
  }
  const out: ReplicaSetStatus = {
    ...old,
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  if (conditions?.length) out.conditions = conditions;
  else delete out.conditions;
  // Go omits zero values of these omitempty fields.
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'] as const) if (!out[k]) delete out[k];
  return out;
}

/** upstream updateReplicaSetStatus's early return: nothing to write. */
export function statusUnchanged(owner: ReplicaOwner, next: ReplicaSetStatus): boolean {
  const s = owner.status ?? { replicas: 0 };
  return (
    (s.replicas ?? 0) === next.replicas &&
    (s.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (s.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (s.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    (owner.metadata.generation ?? 0) === (s.observedGeneration ?? 0) &&
    deepEqual(s.conditions ?? [], next.conditions ?? [])
  );
}
