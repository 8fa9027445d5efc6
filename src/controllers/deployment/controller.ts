// The Deployment controller (upstream pkg/controller/deployment: deployment_controller.go, sync.go,
// rolling.go, recreate.go, progress.go): each Deployment owns ReplicaSets, one per pod template
// (named `<deployment>-<pod-template-hash>`), claimed by selector (orphans adopted, non-matching
// ones released). A template change creates a new ReplicaSet and moves replicas to it, within
// maxSurge/maxUnavailable (RollingUpdate) or after the old Pods are gone (Recreate); a change of
// replicas alone is a scaling event, shared proportionally among the active ReplicaSets; a paused
// Deployment only scales. Revisions are kept in annotations (`deployment.kubernetes.io/revision`,
// with the history of a ReplicaSet rolled back to), the replica annotations let scaling tell
// proportions, old ReplicaSets beyond revisionHistoryLimit are deleted, and the status carries the
// counts and the Available / Progressing conditions, the latter timing out after
// progressDeadlineSeconds (on the controller's clock). Writes go through the registry; a write
// that fails (a conflict with a stale cache, an invalid ReplicaSet) is retried with the queue's
// backoff, so nothing loops hot.
//
// This module is deployment_controller.go: the wiring, the event handlers, claiming ReplicaSets and
// syncDeployment; context.ts holds what a sync works with (the controller's writes), sync.ts the
// scaling, new/old ReplicaSets, status and cleanup, rolling.ts and recreate.ts the strategies,
// progress.ts the rollout status and its deadline, util.ts the pure arithmetic.
import type { KubeObject } from '../../apimachinery/types.js';
import { clone } from '../../apimachinery/meta.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import { findDef, requireDef } from '../../registry/kinds.js';
import type { DeploymentObj } from '../../registry/apps/deployment.js';
import { semanticEqual } from '../../registry/pod/validation.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import type { Controller, ControllerContext } from '../context.js';
import { claim, controllerOf } from '../workload/controller-ref.js';
import { createWakeups } from '../workload/wakeups.js';
import { resolveControllerRef, selectsEverything, wouldAdopt } from '../workload/owner-events.js';
import type { ReplicaSetObj } from './util.js';
import { DEPLOYMENTS, REPLICASETS, createDeploymentContext, keyOf, type DeploymentContext } from './context.js';
import { allReplicaSetsAndSyncRevision, checkPausedConditions, isScalingEvent, reread, syncDeploymentStatus, syncScaling } from './sync.js';
import { rolloutRolling } from './rolling.js';
import { rolloutRecreate } from './recreate.js';

export function startDeploymentController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, informers, clock } = ctx;
  const dDef = requireDef(defs, 'apps', 'deployments');
  const rsDefOrNone = findDef(defs, 'apps', 'replicasets');
  if (!rsDefOrNone) {
    log.warn('no ReplicaSet kind: the deployment controller does not run');
    return { stop() {}, idle: () => Promise.resolve() };
  }
  const rsDef = rsDefOrNone;
  const dInformer = informers.for(DEPLOYMENTS);
  const rsInformer = informers.for(REPLICASETS);
  const podInformer = informers.for('pods');
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), 'deployment-controller', (err) =>
    log.debug({ err }, 'event not recorded'),
  );
  /** Syncs again later on the controllers' clock (one pending wake-up per Deployment, the earliest wins). */
  const wakeups = createWakeups(clock, (key) => queue.add(key));
  const c: DeploymentContext = createDeploymentContext({
    store,
    registry,
    dDef,
    rsDef,
    rsInformer,
    podInformer,
    record,
    clock,
    requeueAfter: (key, ms) => wakeups.after(key, ms),
  });

  // ---- ReplicaSets of a Deployment ----

  /** upstream getReplicaSetsForDeployment: claimed by selector (adopt orphans, release strays). */
  const replicaSetsFor = (d: DeploymentObj): ReplicaSetObj[] => {
    const ns = d.metadata.namespace!;
    const sel = d.spec?.selector as LabelSelector | undefined;
    return claim(d, c.listReplicaSets(ns), {
      registry,
      def: rsDef,
      matches: (o) => matchLabelSelector(sel, o.metadata.labels),
      fresh: () => {
        try {
          return registry.get(dDef, ns, d.metadata.name!);
        } catch {
          return undefined;
        }
      },
    }).map((rs) => c.fresher(REPLICASETS, rs));
  };

  // ---- the reconcile (deployment_controller.go syncDeployment) ----

  const syncDeployment = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const cached = dInformer.get(ns, name) as DeploymentObj | undefined;
    if (!cached) {
      wakeups.cancel(key);
      return;
    }
    const d = clone(c.fresher(DEPLOYMENTS, cached));
    const sel = d.spec?.selector as LabelSelector | undefined;
    if (selectsEverything(sel)) {
      record(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata.generation };
        c.updateStatus(d);
      }
      return;
    }
    const rsList = replicaSetsFor(d);
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = allReplicaSetsAndSyncRevision(c, d, rsList, false);
      return syncDeploymentStatus(c, [...oldRSs, newRS], newRS, d);
    }
    checkPausedConditions(c, d);
    if (d.spec?.paused) return syncScaling(c, d, rsList);
    // (isScalingEvent reads the ReplicaSets after their revision sync, as the rollout does.)
    const { newRS, oldRSs } = allReplicaSetsAndSyncRevision(c, d, rsList, false);
    const synced = reread(c, d, rsList);
    if (isScalingEvent(d, [...oldRSs, newRS])) return syncScaling(c, d, synced);
    switch (d.spec?.strategy?.type) {
      case 'Recreate':
        return rolloutRecreate(c, d, synced);
      case 'RollingUpdate':
        return rolloutRolling(c, d, synced);
      default:
        throw new Error(`unexpected deployment strategy type: ${d.spec?.strategy?.type}`);
    }
  };

  const queue = createQueue(
    'deployment',
    (key) => syncDeployment(key),
    (key, err) => log.debug({ err, deployment: key }, 'deployment sync failed, retrying'),
  );

  // ---- events ----

  const enqueue = (d: KubeObject) => queue.add(keyOf(d));
  /** The Deployment that controls a ReplicaSet (its controller reference, checked by uid). */
  const ownerOf = (rs: KubeObject): KubeObject | undefined => {
    const ref = controllerOf(rs);
    if (!ref?.apiVersion.startsWith('apps/')) return undefined;
    return resolveControllerRef(dInformer, 'Deployment', rs.metadata.namespace ?? '', ref);
  };
  /** upstream getDeploymentsForReplicaSet: Deployments whose selector picks an orphan. */
  const enqueueSelecting = (rs: KubeObject) => {
    for (const d of dInformer.list(rs.metadata.namespace ?? '') as DeploymentObj[])
      if (wouldAdopt(d.spec?.selector as LabelSelector | undefined, rs.metadata.labels)) enqueue(d);
  };
  const rsChanged = (rs: KubeObject, old?: KubeObject) => {
    const oldRef = old ? controllerOf(old) : undefined;
    const ref = controllerOf(rs);
    if (old && oldRef && oldRef.uid !== ref?.uid) {
      const prev = ownerOf(old);
      if (prev) enqueue(prev);
    }
    if (ref) {
      const owner = ownerOf(rs);
      if (owner) enqueue(owner);
      return;
    }
    // An orphan: whoever selects it may adopt it (on an update, only when its labels or ref changed).
    if (!old || oldRef || !semanticEqual(old.metadata.labels, rs.metadata.labels)) enqueueSelecting(rs);
  };

  const unsubs = [
    dInformer.on({
      add: (d) => enqueue(d),
      update: (d) => enqueue(d),
      delete: (d) => {
        wakeups.cancel(keyOf(d));
        enqueue(d);
      },
    }),
    rsInformer.on({
      add: (rs) => rsChanged(rs),
      update: (rs, old) => rsChanged(rs, old),
      delete: (rs) => {
        const owner = ownerOf(rs);
        if (owner) enqueue(owner);
      },
    }),
    podInformer.on({
      // A Recreate rollout waits for the old Pods to be gone.
      delete: (p) => {
        const ref = controllerOf(p);
        if (!ref || ref.kind !== 'ReplicaSet') return;
        const rs = rsInformer.get(p.metadata.namespace ?? '', ref.name);
        const d = rs ? (ownerOf(rs) as DeploymentObj | undefined) : undefined;
        if (d?.spec?.strategy?.type === 'Recreate') enqueue(d);
      },
    }),
  ];

  return {
    stop() {
      for (const u of unsubs) u();
      wakeups.stop();
      queue.stop();
    },
    idle: () => queue.idle(),
  };
}
