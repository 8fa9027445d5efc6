// The DaemonSet controller (upstream pkg/controller/daemon: daemon_controller.go, update.go): one
// daemon Pod on every node that should run it (node name, nodeSelector, required node affinity,
// taints against the template's tolerations plus the automatic daemon tolerations), none on the
// others; Pods carry node affinity to their node (the scheduler binds them) and the
// `controller-revision-hash` of the current ControllerRevision. Revisions are snapshots of the
// template (the patch `kubectl rollout undo` applies), numbered, deduplicated and pruned to
// revisionHistoryLimit. RollingUpdate replaces old Pods within maxUnavailable or surges within
// maxSurge; OnDelete waits for the user. Failed daemon Pods are deleted with a per-node backoff.
// Expectations keep a burst of events from creating a second Pod for a node.
//
// This module is daemon_controller.go's wiring, event handlers and syncDaemonSet; context.ts holds
// what a sync works with, daemon-pods.ts the claimed Pods by node, manage.ts the Pod creations and
// deletions, update.ts the rolling update, revisions.ts the ControllerRevisions (update.go's
// history), status.ts the status, util.ts the pure parts.
import { requireDef } from '../../registry/kinds.js';
import { storageResource } from '../../registry/types.js';
import type { KubeObject, OwnerReference } from '../../apimachinery/types.js';
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { NodeObj } from '../../registry/node.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { errText, type Controller, type ControllerContext } from '../context.js';
import { createExpectations } from '../workload/expectations.js';
import { createWakeups } from '../workload/wakeups.js';
import { ownedPodHandlers, resolveControllerRef, selectsEverything, wouldAdopt } from '../workload/owner-events.js';
import { controllerOf } from '../workload/controller-ref.js';
import { POD_REVISION_LABEL } from '../workload/history.js';
import { nodeChangeMatters } from './util.js';
import { keyOf, selectorOf, type DaemonSetContext } from './context.js';
import { DS_UID_INDEX } from './daemon-pods.js';
import { cleanupHistory, constructHistory } from './revisions.js';
import { manage } from './manage.js';
import { rollingUpdate } from './update.js';
import { updateStatus } from './status.js';

export function startDaemonSetController(ctx: ControllerContext): Controller {
  const { registry, defs, log, informers, clock } = ctx;
  const dsDef = requireDef(defs, 'apps', 'daemonsets');
  const crDef = requireDef(defs, 'apps', 'controllerrevisions');
  const podDef = requireDef(defs, '', 'pods');
  const dsInf = informers.for(storageResource(dsDef));
  const crInf = informers.for(storageResource(crDef));
  const podInf = informers.for('pods');
  const nodeInf = informers.for('nodes');
  const record = eventRecorder(
    registry,
    requireDef(defs, '', 'events'),
    'daemonset-controller',
    (err) => log.debug({ err }, 'event not recorded'),
    {
      now: () => clock.now(),
    },
  );
  const expectations = createExpectations(() => clock.now());
  /** Failed-Pod deletion backoff per DaemonSet and node. */
  const failedBackoff = new Map<string, { delay: number; at: number }>();

  podInf.addIndex(DS_UID_INDEX, (p) => {
    const ref = controllerOf(p);
    return ref?.kind === 'DaemonSet' ? [ref.uid] : [];
  });

  const queue = createQueue(
    'daemonset',
    (key) => sync(key),
    (key, err) => log.info({ err: errText(err), daemonset: key }, 'daemonset sync failed'),
  );
  const enqueue = (ds: KubeObject) => queue.add(keyOf(ds.metadata.namespace ?? '', ds.metadata.name!));
  /** Sync again after ms of controller time (one pending wake-up per DaemonSet, the earliest wins). */
  const wakeups = createWakeups(clock, (key) => queue.add(key));
  const enqueueAfter = (key: string, ms: number) => wakeups.after(key, ms);
  const c: DaemonSetContext = {
    registry,
    dsDef,
    crDef,
    podDef,
    podInf,
    crInf,
    record,
    expectations,
    failedBackoff,
    nowMs: () => clock.now(),
    enqueueAfter,
    admitted: ctx.admitted,
  };

  const daemonSetsForPod = (pod: KubeObject): DaemonSetObj[] =>
    (dsInf.list(pod.metadata.namespace) as DaemonSetObj[]).filter((ds) => wouldAdopt(selectorOf(ds), pod.metadata.labels));
  /** The DaemonSet a controller reference names, if it is the one we cache. */
  const resolveRef = (ns: string, ref: OwnerReference | undefined): DaemonSetObj | undefined =>
    resolveControllerRef<DaemonSetObj>(dsInf, 'DaemonSet', ns, ref);

  /** upstream addPod / deletePod: creations and deletions a DaemonSet awaits, orphans it may adopt. */
  const { added: onPodAdded, deleted: onPodDeleted } = ownedPodHandlers<DaemonSetObj>({
    resolve: (pod) => resolveRef(pod.metadata.namespace ?? '', controllerOf(pod)),
    adopters: daemonSetsForPod,
    keyOf: (ds) => keyOf(ds.metadata.namespace ?? '', ds.metadata.name!),
    expectations,
    add: (key) => queue.add(key),
  });

  const unsubscribe = [
    dsInf.on({
      add: enqueue,
      update: (obj) => enqueue(obj),
      delete: (obj) => {
        const key = keyOf(obj.metadata.namespace ?? '', obj.metadata.name!);
        expectations.forget(key);
        queue.add(key);
      },
    }),
    podInf.on({
      add: onPodAdded,
      update: (obj, oldObj) => {
        const pod = obj as PodObj;
        const old = oldObj as PodObj;
        if (pod.metadata.resourceVersion === old.metadata.resourceVersion) return;
        if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
          onPodDeleted(pod);
          return;
        }
        const ref = controllerOf(pod);
        const oldRef = controllerOf(old);
        if (oldRef && oldRef.uid !== ref?.uid) {
          const prev = resolveRef(old.metadata.namespace ?? '', oldRef);
          if (prev) enqueue(prev);
        }
        if (ref) {
          const ds = resolveRef(pod.metadata.namespace ?? '', ref);
          if (ds) enqueue(ds);
          return;
        }
        const labelsChanged = JSON.stringify(pod.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {});
        if (labelsChanged || oldRef) for (const ds of daemonSetsForPod(pod)) enqueue(ds);
      },
      delete: onPodDeleted,
    }),
    nodeInf.on({
      add: () => {
        for (const ds of dsInf.list()) enqueue(ds);
      },
      update: (obj, old) => {
        if (!nodeChangeMatters(obj as NodeObj, old as NodeObj)) return;
        for (const ds of dsInf.list()) enqueue(ds);
      },
      delete: () => {
        for (const ds of dsInf.list()) enqueue(ds);
      },
    }),
    crInf.on({
      add: (cr) => {
        const ds = resolveRef(cr.metadata.namespace ?? '', controllerOf(cr));
        if (ds) enqueue(ds);
      },
      delete: (cr) => {
        const ds = resolveRef(cr.metadata.namespace ?? '', controllerOf(cr));
        if (ds) enqueue(ds);
      },
    }),
  ];

  // ---- the sync ----

  async function sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const ns = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const ds = dsInf.get(ns, name) as DaemonSetObj | undefined;
    if (!ds) {
      expectations.forget(key);
      wakeups.cancel(key);
      for (const k of failedBackoff.keys()) if (k.startsWith(`${key}/`)) failedBackoff.delete(k);
      return;
    }
    if (selectsEverything(selectorOf(ds))) {
      record(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    // A DaemonSet being deleted: its revisions may be going too; nothing is computed for it.
    if (ds.metadata.deletionTimestamp) return;
    const nodes = nodeInf.list() as NodeObj[];
    const { cur, old } = constructHistory(c, ds);
    const hash = cur.metadata.labels?.[POD_REVISION_LABEL] ?? '';
    if (!expectations.satisfied(key)) {
      updateStatus(c, ds, nodes, hash, false);
      return;
    }
    let err: unknown;
    try {
      await manage(c, ds, nodes, hash);
      if (expectations.satisfied(key) && ds.spec?.updateStrategy?.type === 'RollingUpdate') await rollingUpdate(c, ds, nodes, hash);
      cleanupHistory(c, ds, old);
    } catch (e) {
      err = e;
    }
    updateStatus(c, ds, nodes, hash, true);
    if (err) throw err;
  }

  return {
    stop() {
      for (const u of unsubscribe) u();
      wakeups.stop();
      queue.stop();
    },
    idle: () => queue.idle(),
  };
}
