// The DaemonSet controller (upstream pkg/controller/daemon: daemon_controller.go, update.go): one
// daemon Pod on every node that should run it (node name, nodeSelector, required node affinity,
// taints against the template's tolerations plus the automatic daemon tolerations), none on the
// others; Pods carry node affinity to their node (the scheduler binds them) and the
// `controller-revision-hash` of the current ControllerRevision. Revisions are snapshots of the
// template (the patch `kubectl rollout undo` applies), numbered, deduplicated and pruned to
// revisionHistoryLimit. RollingUpdate replaces old Pods within maxUnavailable or surges within
// maxSurge; OnDelete waits for the user. Failed daemon Pods are deleted with a per-node backoff.
// Expectations keep a burst of events from creating a second Pod for a node.
import { requireDef } from '../../registry/kinds.js';
import { storageResource } from '../../registry/types.js';
import type { KubeObject, OwnerReference } from '../../apimachinery/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { NodeObj } from '../../registry/node.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { errText, type Controller, type ControllerContext } from '../context.js';
import { createExpectations } from '../workload/expectations.js';
import { createWakeups } from '../workload/wakeups.js';
import { ownedPodHandlers, resolveControllerRef, selectsEverything, wouldAdopt } from '../workload/owner-events.js';
import { claim, controllerOf, controllerRef } from '../workload/controller-ref.js';
import { podFromTemplate } from '../workload/pod-template.js';
import { isPodAvailable, isPodReady, availableAt } from '../workload/pods.js';
import {
  computeHash,
  maxRevision,
  ownedRevisions,
  POD_REVISION_LABEL,
  sortRevisions,
  updateRevisionNumber,
  type ControllerRevisionObj,
} from '../workload/history.js';
import {
  byCreationAndPhase,
  daemonPodTemplate,
  isPodUpdated,
  nodeChangeMatters,
  nodeNameAffinity,
  nodeShouldRunDaemonPod,
  revisionMatches,
  revisionPatch,
  surgeCount,
  targetNodeName,
  unavailableCount,
} from './util.js';

const FIELD_MANAGER = 'kube-controller-manager';
/** upstream BurstReplicas: at most this many creations or deletions per sync. */
const BURST_REPLICAS = 250;
/** upstream failedPodsBackoff: 1s doubling to 15 minutes. */
const FAILED_BACKOFF_INITIAL_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;

const keyOf = (ns: string, name: string) => `${ns}/${name}`;
const selectorOf = (ds: DaemonSetObj) => ds.spec?.selector as LabelSelector | undefined;

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

  podInf.addIndex('daemonset-controller-uid', (p) => {
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

  // ---- what the DaemonSet has ----

  /** The DaemonSet as stored now (upstream's uncached recheck before adopting). */
  const freshDs = (ds: DaemonSetObj) => (): KubeObject | undefined => {
    try {
      return registry.get(dsDef, ds.metadata.namespace ?? '', ds.metadata.name!);
    } catch {
      return undefined;
    }
  };

  /** The Pods the DaemonSet controls (claimed: adopting matching orphans, releasing non-matching). */
  function daemonPods(ds: DaemonSetObj): PodObj[] {
    const ns = ds.metadata.namespace ?? '';
    const sel = selectorOf(ds);
    const owned = podInf.byIndex('daemonset-controller-uid', ds.metadata.uid!) as PodObj[];
    const orphans = (podInf.list(ns) as PodObj[]).filter((p) => !controllerOf(p) && matchLabelSelector(sel, p.metadata.labels));
    return claim(ds, [...owned, ...orphans], {
      registry,
      def: podDef,
      matches: (p) => matchLabelSelector(sel, p.metadata.labels),
      fresh: freshDs(ds),
    });
  }

  /**
   * upstream getNodesToDaemonPods: the claimed Pods by the node they are for; without
   * `includeDeletedTerminal`, finished Pods that are being deleted are left out.
   */
  function nodesToDaemonPods(ds: DaemonSetObj, includeDeletedTerminal = false): Map<string, PodObj[]> {
    const m = new Map<string, PodObj[]>();
    for (const pod of daemonPods(ds)) {
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

  // ---- history ----

  /** upstream snapshot: a new revision of the current template. */
  function snapshot(ds: DaemonSetObj, revision: number): ControllerRevisionObj {
    const ns = ds.metadata.namespace ?? '';
    const collision = ds.status?.collisionCount;
    const hash = computeHash(ds.spec?.template ?? {}, collision);
    const name = `${ds.metadata.name}-${hash}`;
    const cr: ControllerRevisionObj = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ns,
        labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [POD_REVISION_LABEL]: hash },
        ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
        ownerReferences: [controllerRef(ds)],
      },
      data: revisionPatch(ds),
      revision,
    };
    try {
      return registry.create(crDef, ns, cr, { fieldManager: FIELD_MANAGER, trusted: true }).object as ControllerRevisionObj;
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) throw e;
      const existing = registry.get(crDef, ns, name) as ControllerRevisionObj;
      if (revisionMatches(ds, existing)) return existing;
      // A hash collision with a different template: count it (from the stored DaemonSet) and retry.
      const cur = registry.get(dsDef, ns, ds.metadata.name!) as DaemonSetObj;
      if ((cur.status?.collisionCount ?? null) !== (collision ?? null))
        throw new Error(
          `found a stale collision count (${collision ?? 0}, expected ${cur.status?.collisionCount ?? 0}) of DaemonSet "${ds.metadata.name}" while processing; will retry until it is updated`,
        );
      registry.patch(
        dsDef,
        ns,
        ds.metadata.name!,
        'merge',
        { status: { collisionCount: (collision ?? 0) + 1 } },
        { subresource: 'status', fieldManager: FIELD_MANAGER },
      );
      throw e;
    }
  }

  /**
   * upstream constructHistory: the DaemonSet's revisions split into the current one (created, or
   * renumbered to be the newest) and the old ones; duplicates of the current one are merged.
   */
  function constructHistory(ds: DaemonSetObj): { cur: ControllerRevisionObj; old: ControllerRevisionObj[] } {
    const ns = ds.metadata.namespace ?? '';
    const sel = selectorOf(ds);
    let histories = ownedRevisions(registry, crDef, ds, crInf.list(ns), (r) => matchLabelSelector(sel, r.metadata.labels), freshDs(ds));
    histories = histories.map((h) => {
      if (h.metadata.labels?.[POD_REVISION_LABEL] !== undefined) return h;
      // Revisions made before the hash label: use the name, so no hash is ever recomputed.
      return registry.patch(
        crDef,
        ns,
        h.metadata.name!,
        'merge',
        { metadata: { labels: { [POD_REVISION_LABEL]: h.metadata.name } } },
        { fieldManager: FIELD_MANAGER },
      ).object as ControllerRevisionObj;
    });
    const current: ControllerRevisionObj[] = [];
    const old: ControllerRevisionObj[] = [];
    for (const h of histories) (revisionMatches(ds, h) ? current : old).push(h);
    const next = maxRevision(old) + 1;
    if (!current.length) return { cur: snapshot(ds, next), old };
    let cur = dedupCurrent(ds, current);
    if ((cur.revision ?? 0) < next) cur = updateRevisionNumber(registry, crDef, cur, next);
    return { cur, old };
  }

  /** upstream dedupCurHistories: keep the newest equal revision, relabel Pods of the others, delete them. */
  function dedupCurrent(ds: DaemonSetObj, current: ControllerRevisionObj[]): ControllerRevisionObj {
    if (current.length === 1) return current[0]!;
    let keep = current[0]!;
    for (const c of current) if ((c.revision ?? 0) >= (keep.revision ?? 0)) keep = c;
    const keepHash = keep.metadata.labels?.[POD_REVISION_LABEL] ?? '';
    const ns = ds.metadata.namespace ?? '';
    for (const c of current) {
      if (c.metadata.name === keep.metadata.name) continue;
      for (const pod of daemonPods(ds)) {
        if (pod.metadata.labels?.[POD_REVISION_LABEL] === keepHash) continue;
        registry.patch(
          podDef,
          ns,
          pod.metadata.name!,
          'merge',
          { metadata: { labels: { [POD_REVISION_LABEL]: keepHash } } },
          { fieldManager: FIELD_MANAGER },
        );
      }
      try {
        registry.delete(crDef, ns, c.metadata.name!);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    }
    return keep;
  }

  /** upstream cleanupHistory: the oldest revisions beyond revisionHistoryLimit that no Pod runs. */
  function cleanupHistory(ds: DaemonSetObj, old: ControllerRevisionObj[]): void {
    const toKeep = ds.spec?.revisionHistoryLimit ?? 10;
    let toKill = old.length - toKeep;
    if (toKill <= 0) return;
    const live = new Set<string>();
    for (const pods of nodesToDaemonPods(ds, true).values())
      for (const p of pods) {
        const h = p.metadata.labels?.[POD_REVISION_LABEL];
        if (h) live.add(h);
      }
    for (const h of sortRevisions(old)) {
      if (toKill <= 0) break;
      if (live.has(h.metadata.labels?.[POD_REVISION_LABEL] ?? '')) continue;
      try {
        registry.delete(crDef, h.metadata.namespace ?? '', h.metadata.name!);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
      toKill--;
    }
  }

  // ---- Pods ----

  /** upstream podsShouldBeOnNode: the node's missing Pod, and the Pods to delete from it. */
  function podsShouldBeOnNode(
    ds: DaemonSetObj,
    node: NodeObj,
    byNode: Map<string, PodObj[]>,
    hash: string,
    out: { create: string[]; del: PodObj[] },
  ) {
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const nodeName = node.metadata.name!;
    const pods = byNode.get(nodeName);
    const key = keyOf(ds.metadata.namespace ?? '', ds.metadata.name!);
    if (shouldRun && !pods) {
      out.create.push(nodeName);
      return;
    }
    if (shouldContinueRunning) {
      const running: PodObj[] = [];
      for (const pod of pods ?? []) {
        if (pod.metadata.deletionTimestamp) continue;
        if (pod.status?.phase === 'Failed') {
          // The kubelet may keep failing it: delete at most once per backoff period per node.
          const bk = `${key}/${nodeName}`;
          const now = clock.now();
          const b = failedBackoff.get(bk);
          if (b && now - b.at < b.delay) {
            enqueueAfter(key, b.delay - (now - b.at));
            continue;
          }
          const delay =
            b && now - b.at < 2 * FAILED_BACKOFF_MAX_MS ? Math.min(b.delay * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_INITIAL_MS;
          failedBackoff.set(bk, { delay, at: now });
          record(
            ds,
            'Warning',
            'FailedDaemonPod',
            `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`,
          );
          out.del.push(pod);
        } else if (pod.status?.phase === 'Succeeded') {
          record(
            ds,
            'Normal',
            'SucceededDaemonPod',
            `Found succeeded daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to delete it`,
          );
          out.del.push(pod);
        } else running.push(pod);
      }
      running.sort(byCreationAndPhase);
      if (surgeCount(ds, 1) <= 0) {
        // Without surge, one Pod per node: the oldest stays.
        out.del.push(...running.slice(1));
        return;
      }
      if (running.length <= 1) {
        if (running.length === 0 && shouldRun) out.create.push(nodeName);
        return;
      }
      // With surge, an old and a new Pod may overlap until the new one is available.
      let oldestNew: PodObj | undefined;
      let oldestOld: PodObj | undefined;
      for (const pod of running) {
        if (pod.metadata.labels?.[POD_REVISION_LABEL] === hash) {
          if (!oldestNew) {
            oldestNew = pod;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = pod;
          continue;
        }
        out.del.push(pod);
      }
      if (oldestNew && oldestOld) {
        if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, clock.now())) out.del.push(oldestOld);
      }
      return;
    }
    if (pods) for (const pod of pods) if (!pod.metadata.deletionTimestamp) out.del.push(pod);
  }

  /** upstream syncNodes: create the nodes' Pods, delete the given ones, with expectations. */
  function syncNodes(ds: DaemonSetObj, del: PodObj[], create: string[], hash: string): void {
    const ns = ds.metadata.namespace ?? '';
    const key = keyOf(ns, ds.metadata.name!);
    const toCreate = create.slice(0, BURST_REPLICAS);
    const toDelete = del.slice(0, BURST_REPLICAS);
    expectations.expectCreations(key, toCreate.length);
    if (toDelete.length) expectations.expectDeletions(key, toDelete.map((p) => p.metadata.uid!).filter(Boolean));
    const errors: unknown[] = [];
    if (toCreate.length) {
      const template = daemonPodTemplate(ds, hash);
      const ref = controllerRef(ds);
      for (let i = 0; i < toCreate.length; i++) {
        const pod = podFromTemplate(template, ds, ref);
        pod.spec!.affinity = nodeNameAffinity(pod.spec!.affinity, toCreate[i]!);
        try {
          const res = registry.create(podDef, ns, pod, { fieldManager: FIELD_MANAGER, trusted: true });
          record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${res.object.metadata.name}`);
        } catch (e) {
          // Creations that failed will never be observed.
          expectations.lowerCreations(key, toCreate.length - i);
          const terminating = e instanceof StatusError && e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');
          if (terminating) break;
          record(ds, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`);
          errors.push(e);
          break;
        }
      }
    }
    for (const pod of toDelete) {
      try {
        registry.delete(podDef, ns, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
        record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (e) {
        expectations.deletionObserved(key, pod.metadata.uid);
        if (e instanceof StatusError && (e.code === 404 || e.code === 409)) continue;
        record(ds, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
        errors.push(e);
      }
    }
    if (errors.length) throw errors[0];
  }

  /** upstream manage: every node's Pods as they should be; Pods for nodes that do not exist go. */
  function manage(ds: DaemonSetObj, nodes: NodeObj[], hash: string): void {
    const byNode = nodesToDaemonPods(ds);
    const out = { create: [] as string[], del: [] as PodObj[] };
    for (const node of nodes) podsShouldBeOnNode(ds, node, byNode, hash, out);
    const names = new Set(nodes.map((n) => n.metadata.name!));
    for (const [node, pods] of byNode) {
      if (names.has(node)) continue;
      for (const p of pods) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) out.del.push(p);
    }
    syncNodes(ds, out.del, out.create, hash);
  }

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
  function rollingUpdate(ds: DaemonSetObj, nodes: NodeObj[], hash: string): void {
    const byNode = nodesToDaemonPods(ds);
    let desired = 0;
    for (const node of nodes) {
      if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
      desired++;
      if (!byNode.has(node.metadata.name!)) byNode.set(node.metadata.name!, []);
    }
    let maxUnavailable = unavailableCount(ds, desired);
    const maxSurge = surgeCount(ds, desired);
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
    const now = clock.now();
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
      syncNodes(ds, [...replace, ...candidates.slice(0, remaining)], [], hash);
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
    syncNodes(ds, oldToDelete, [...allowedNodes, ...candidateNodes.slice(0, remaining)], hash);
  }

  // ---- status ----

  /** upstream updateDaemonSetStatus / storeDaemonSetStatus. */
  function updateStatus(ds: DaemonSetObj, nodes: NodeObj[], hash: string, observe: boolean): void {
    const byNode = nodesToDaemonPods(ds);
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let updated = 0;
    let numAvailable = 0;
    const now = clock.now();
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

  // ---- the sync ----

  function sync(key: string): void {
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
    const { cur, old } = constructHistory(ds);
    const hash = cur.metadata.labels?.[POD_REVISION_LABEL] ?? '';
    if (!expectations.satisfied(key)) {
      updateStatus(ds, nodes, hash, false);
      return;
    }
    let err: unknown;
    try {
      manage(ds, nodes, hash);
      if (expectations.satisfied(key) && ds.spec?.updateStrategy?.type === 'RollingUpdate') rollingUpdate(ds, nodes, hash);
      cleanupHistory(ds, old);
    } catch (e) {
      err = e;
    }
    updateStatus(ds, nodes, hash, true);
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
