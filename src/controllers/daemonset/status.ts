// A DaemonSet's status (upstream pkg/controller/daemon/daemon_controller.go updateDaemonSetStatus,
// storeDaemonSetStatus): the scheduled, misscheduled, ready, updated, available and unavailable
// counts over the nodes, written only when they changed, and a later sync for Pods that become
// available after minReadySeconds.
import { StatusError } from '../../apimachinery/errors.js';
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import type { NodeObj } from '../../registry/node.js';
import { availableAt, isPodAvailable, isPodReady } from '../workload/pods.js';
import { byCreationAndPhase, isPodUpdated, nodeShouldRunDaemonPod } from './util.js';
import { FIELD_MANAGER, keyOf, type DaemonSetContext } from './context.js';
import { nodesToDaemonPods } from './daemon-pods.js';

/** upstream updateDaemonSetStatus / storeDaemonSetStatus. */
export function updateStatus(c: DaemonSetContext, ds: DaemonSetObj, nodes: NodeObj[], hash: string, observe: boolean): void {
  const { registry, dsDef, enqueueAfter } = c;
  const byNode = nodesToDaemonPods(c, ds);
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let updated = 0;
  let numAvailable = 0;
  const now = c.nowMs();
  const minReady = ds.spec?.minReadySeconds ?? 0;
  let nextAvailable: number | undefined;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(node.metadata.name!) ?? [];
    if (!shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const pod = [...pods].sort(byCreationAndPhase)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) numAvailable++;
      else {
        const at = availableAt(pod, minReady, now);
        if (at !== undefined && (nextAvailable === undefined || at < nextAvailable)) nextAvailable = at;
      }
    }
    if (isPodUpdated(pod, hash)) updated++;
  }
  const unavailable = desired - numAvailable;
  const s = ds.status ?? ({} as NonNullable<DaemonSetObj['status']>);
  const gen = ds.metadata.generation ?? 0;
  const same =
    (s.desiredNumberScheduled ?? 0) === desired &&
    (s.currentNumberScheduled ?? 0) === current &&
    (s.numberMisscheduled ?? 0) === misscheduled &&
    (s.numberReady ?? 0) === ready &&
    (s.updatedNumberScheduled ?? 0) === updated &&
    (s.numberAvailable ?? 0) === numAvailable &&
    (s.numberUnavailable ?? 0) === unavailable &&
    (s.observedGeneration ?? 0) >= gen;
  if (!same) {
    // Zero counts that Go omits (omitempty) are removed rather than stored as 0.
    const orNull = (n: number) => (n === 0 ? null : n);
    const status: Record<string, number | null> = {
      desiredNumberScheduled: desired,
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      updatedNumberScheduled: orNull(updated),
      numberAvailable: orNull(numAvailable),
      numberUnavailable: orNull(unavailable),
    };
    if (observe) status.observedGeneration = gen;
    try {
      registry.patch(
        dsDef,
        ds.metadata.namespace ?? '',
        ds.metadata.name!,
        'merge',
        { status },
        { subresource: 'status', fieldManager: FIELD_MANAGER },
      );
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
  }
  // Pods that become available later (minReadySeconds) need a sync then.
  if (minReady > 0 && ready !== numAvailable && nextAvailable !== undefined)
    enqueueAfter(keyOf(ds.metadata.namespace ?? '', ds.metadata.name!), nextAvailable - now);
}
