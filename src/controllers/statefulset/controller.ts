// The StatefulSet controller (upstream pkg/controller/statefulset: stateful_set.go,
// stateful_set_control.go, stateful_pod_control.go). Each sync of a set:
// - claims its Pods (selector and `<set>-<ordinal>` name; adopts orphans, releases the rest) and
//   its ControllerRevisions, and finds the current and update revisions (a new template makes a
//   new revision; going back to an old template renumbers that one, as a rollback does);
// - OrderedReady: creates the lowest missing ordinal and waits until it is Running, Ready and
//   available (minReadySeconds) before the next; deletes out-of-range ordinals from the highest,
//   one at a time, only when every other Pod is healthy. Parallel: creates and deletes at once;
// - recreates failed or succeeded Pods (after the old one is gone), creating each Pod's claims
//   from the volumeClaimTemplates first and giving the claims the ownerReferences the retention
//   policy asks for;
// - RollingUpdate: deletes the highest ordinal at or above the partition that is not at the
//   update revision, waiting for the replacement to be healthy before the next; OnDelete waits
//   for the user to delete Pods;
// - writes status (replicas, ready, available, current/updated counts and revisions,
//   observedGeneration, collisionCount) and keeps revisionHistoryLimit old revisions.
// Events: SuccessfulCreate/SuccessfulDelete ("create Pod web-0 in StatefulSet web successful"),
// FailedCreate/FailedDelete as Warnings; a set that cannot progress backs off through the queue.
import type { KubeObject } from '../../apimachinery/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { StatefulSetObj } from '../../registry/apps/statefulset.js';
import type { StatefulSetStatus } from '../../api/generated/apps/v1.js';
import { findDef, requireDef } from '../../registry/kinds.js';
import { storageResource } from '../../registry/types.js';
import { deepEqual } from '../../apimachinery/meta.js';
import { StatusError } from '../../apimachinery/errors.js';
import type { LabelSelector } from '../../apimachinery/selectors.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { controllerUser, errText, type Controller, type ControllerContext } from '../context.js';
import { claim, controllerOf } from '../workload/controller-ref.js';
import { createWakeups } from '../workload/wakeups.js';
import { createExpectations } from '../workload/expectations.js';
import { wouldAdopt } from '../workload/owner-events.js';
import { availableAt } from '../workload/pods.js';
import {
  createRevision,
  equalRevision,
  findEqualRevisions,
  nextRevision,
  ownedRevisions,
  sortRevisions,
  updateRevisionNumber,
  type ControllerRevisionObj,
} from '../workload/history.js';
import {
  applyRevision,
  asOwner,
  claimIsStale,
  claimsFor,
  computeStatus,
  identityLabels,
  identityMatches,
  isFailed,
  isHealthy,
  isMemberOf,
  isPending,
  isRunningAndAvailable,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  newSetRevision,
  newVersionedPod,
  ordinalOf,
  revisionOf,
  startOrdinal,
  wantedClaimRefs,
  type PvcObj,
} from './utils.js';

const MANAGER = 'kube-controller-manager';
const COMPONENT = 'statefulset-controller';
const SETS = 'apps/statefulsets';
const PVCS = 'persistentvolumeclaims';
/** How soon a set waiting for an old claim to go away looks again (claims are not watched). */
const STALE_CLAIM_RETRY_MS = 1000;

export function startStatefulSetController(ctx: ControllerContext): Controller {
  const { registry, defs, log, informers, clock, store, admitted } = ctx;
  const CONTROLLER_USER = controllerUser('statefulset-controller');
  const setDef = requireDef(defs, 'apps', 'statefulsets');
  const podDef = requireDef(defs, '', 'pods');
  const revDef = requireDef(defs, 'apps', 'controllerrevisions');
  const setInformer = informers.for(SETS);
  const podInformer = informers.for('pods');
  const revInformer = informers.for(storageResource(revDef));
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), COMPONENT, (err) => log.debug({ err }, 'event not recorded'));
  const expectations = createExpectations(() => clock.now());

  const keyOf = (ns: string, name: string) => `${ns}/${name}`;

  /** Requeue `key` after `ms` on the controllers' clock (one pending wake-up per set, the earliest wins). */
  const wakeups = createWakeups(clock, (key) => queue.add(key));
  const requeueAfter = (key: string, ms: number) => wakeups.after(key, ms);

  const selectorOf = (set: StatefulSetObj) => set.spec?.selector as LabelSelector | undefined;
  /** The set's selector picks this object (never an empty or missing selector). */
  const selects = (set: StatefulSetObj, o: KubeObject) => wouldAdopt(selectorOf(set), o.metadata.labels);

  const fresh = (ns: string, name: string) => () => {
    try {
      return registry.get(setDef, ns, name);
    } catch {
      return undefined;
    }
  };

  // ---- Pod and claim writes (upstream StatefulPodControl) ----

  const createClaims = (set: StatefulSetObj, pod: PodObj) => {
    const ns = set.metadata.namespace ?? '';
    const claims = claimsFor(set, ordinalOf(pod));
    if (!claims.size) return;
    const pvcDef = findDef(defs, '', PVCS);
    for (const c of claims.values()) {
      if (store.get(PVCS, ns, c.metadata.name!)) continue;
      if (!pvcDef) {
        const err = new Error('persistentvolumeclaims are not served by this cluster');
        record(
          set,
          'Warning',
          'FailedCreate',
          `create Claim ${c.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${err.message}`,
        );
        throw err;
      }
      const refs = wantedClaimRefs(set, pod, c);
      if (refs?.length) c.metadata.ownerReferences = refs;
      try {
        registry.create(pvcDef, ns, c, { fieldManager: MANAGER, trusted: true });
        record(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${c.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`,
        );
      } catch (e) {
        if (e instanceof StatusError && e.code === 409) continue;
        record(
          set,
          'Warning',
          'FailedCreate',
          `create Claim ${c.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errText(e)}`,
        );
        throw new Error(`failed to create PVC ${c.metadata.name}: ${errText(e)}`);
      }
    }
  };

  /** The claims of a Pod get the ownerReferences the retention policy asks for (upstream UpdatePodClaimForRetentionPolicy). */
  const fixClaimRefs = (set: StatefulSetObj, pod: PodObj) => {
    const ns = set.metadata.namespace ?? '';
    const pvcDef = findDef(defs, '', PVCS);
    if (!pvcDef) return;
    for (const c of claimsFor(set, ordinalOf(pod)).values()) {
      const cur = store.get(PVCS, ns, c.metadata.name!) as PvcObj | undefined;
      if (!cur || cur.metadata.deletionTimestamp) continue;
      const refs = wantedClaimRefs(set, pod, cur);
      if (!refs) continue;
      try {
        registry.patch(
          pvcDef,
          ns,
          cur.metadata.name!,
          'merge',
          { metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: cur.metadata.resourceVersion } },
          { fieldManager: MANAGER },
        );
      } catch (e) {
        if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  };

  const createPod = async (key: string, set: StatefulSetObj, pod: PodObj): Promise<PodObj> => {
    const verb = `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
    try {
      createClaims(set, pod);
    } catch (e) {
      expectations.lowerCreations(key);
      record(set, 'Warning', 'FailedCreate', `${verb} failed error: ${errText(e)}`);
      throw e;
    }
    try {
      // Through admission webhooks, as upstream's controller creates through the API.
      const opts = { fieldManager: MANAGER, trusted: true, user: CONTROLLER_USER };
      const ns = set.metadata.namespace ?? '';
      const created = (admitted ? await admitted.create(podDef, ns, pod, opts) : registry.create(podDef, ns, pod, opts)).object as PodObj;
      record(set, 'Normal', 'SuccessfulCreate', `${verb} successful`);
      return created;
    } catch (e) {
      // Never observed: the expectation raised for it goes.
      expectations.lowerCreations(key);
      // upstream sinks AlreadyExists without an event (the cache was behind).
      if (!(e instanceof StatusError && e.code === 409)) record(set, 'Warning', 'FailedCreate', `${verb} failed error: ${errText(e)}`);
      throw e;
    }
  };

  const deletePod = (key: string, set: StatefulSetObj, pod: PodObj): PodObj | undefined => {
    const verb = `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
    // Raised before the write: its event may be delivered before the call returns.
    expectations.expectDeletions(key, [pod.metadata.uid!]);
    try {
      const r = registry.delete(podDef, pod.metadata.namespace ?? '', pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
      record(set, 'Normal', 'SuccessfulDelete', `${verb} successful`);
      return r.deleted ? undefined : (r.object as PodObj);
    } catch (e) {
      expectations.deletionObserved(key, pod.metadata.uid);
      if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return undefined;
      record(set, 'Warning', 'FailedDelete', `${verb} failed error: ${errText(e)}`);
      throw e;
    }
  };

  // ---- revisions (upstream getStatefulSetRevisions) ----

  const revisionsOf = (set: StatefulSetObj, owned: ControllerRevisionObj[]) => {
    const revs = sortRevisions(owned);
    let collisionCount = set.status?.collisionCount ?? 0;
    let update: ControllerRevisionObj = newSetRevision(set, nextRevision(revs), collisionCount);
    const equal = findEqualRevisions(revs, update);
    const last = revs[revs.length - 1];
    if (equal.length && equalRevision(last, equal[equal.length - 1])) update = last!;
    else if (equal.length) update = updateRevisionNumber(registry, revDef, equal[equal.length - 1]!, update.revision);
    else {
      const r = createRevision(registry, revDef, asOwner(set), update, collisionCount);
      update = r.revision;
      collisionCount = r.collisionCount;
    }
    const current = revs.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { revs, current, update, collisionCount };
  };

  // ---- one sync ----

  const sync = async (key: string) => {
    const slash = key.indexOf('/');
    const ns = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const set = setInformer.get(ns, name) as StatefulSetObj | undefined;
    if (!set) {
      expectations.forget(key);
      wakeups.cancel(key);
      return;
    }
    if (set.metadata.deletionTimestamp) return;
    // Our last creations/deletions are not in the cache yet: their events requeue the set.
    if (!expectations.satisfied(key)) return;
    const sel = selectorOf(set);
    if (!sel) return;
    const owner = asOwner(set);
    const now = clock.now();

    const pods = claim(owner, podInformer.list(ns) as PodObj[], {
      registry,
      def: podDef,
      matches: (p) => selects(set, p) && isMemberOf(set, p),
      fresh: fresh(ns, name),
    });
    const owned = ownedRevisions(registry, revDef, owner, revInformer.list(ns), (r) => selects(set, r), fresh(ns, name));
    const { revs, current, update, collisionCount } = revisionsOf(set, owned);
    const currentName = current.metadata.name!;
    const updateName = update.metadata.name!;
    const currentSet = applyRevision(set, current);
    const updateSet = applyRevision(set, update);

    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const minReady = set.spec?.minReadySeconds ?? 0;
    const start = startOrdinal(set);
    const count = set.spec?.replicas ?? 1;
    // What the Pods are after this sync's writes (for status): by name.
    const view = new Map(pods.map((p) => [p.metadata.name!, p]));
    const replicas: (PodObj | undefined)[] = new Array<PodObj | undefined>(count).fill(undefined);
    const condemned: PodObj[] = [];
    for (const p of pods) {
      const o = ordinalOf(p);
      if (o >= start && o < start + count) replicas[o - start] = p;
      else if (o >= 0) condemned.push(p);
    }
    condemned.sort((a, b) => ordinalOf(a) - ordinalOf(b));
    const errors: unknown[] = [];
    let wakeAt: number | undefined;
    const noteAvailable = (p: PodObj) => {
      const at = availableAt(p, minReady, now);
      if (at !== undefined && (wakeAt === undefined || at < wakeAt)) wakeAt = at;
    };
    /**
     * Whether an ordered set must wait for this Pod before going on: it is not running and ready
     * yet, or not available yet (minReadySeconds: then the time it will be is noted for a wake-up).
     */
    const notYetAvailable = (p: PodObj): boolean => {
      if (!isRunningAndReady(p)) return true;
      if (isRunningAndAvailable(p, minReady, now)) return false;
      noteAvailable(p);
      return true;
    };
    /** Deletes a Pod; the view keeps it while it terminates (graceful deletion) and drops it once gone. */
    const deleteInView = (p: PodObj) => {
      const left = deletePod(key, set, p);
      if (left) view.set(left.metadata.name!, left);
      else view.delete(p.metadata.name!);
    };

    // The first unhealthy Pod, by ordinal (upstream: replicas first, then condemned from the top).
    let firstUnhealthy: PodObj | undefined;
    for (const p of replicas) if (p && !isHealthy(p) && !firstUnhealthy) firstUnhealthy = p;
    for (let i = condemned.length - 1; i >= 0; i--) if (!isHealthy(condemned[i]!) && !firstUnhealthy) firstUnhealthy = condemned[i];

    // 1. Replicas: recreate failed Pods, create missing ones, enforce identity and claims.
    // The creations are awaited before they are made (their events may arrive within the call):
    // one at a time when ordered, every missing ordinal without a stale claim when Parallel.
    const staleClaim = (ordinal: number, next: PodObj) =>
      [...claimsFor(set, ordinal).values()].some((c) => claimIsStale(store.get(PVCS, ns, c.metadata.name!) as PvcObj, next));
    if (!monotonic) {
      let planned = 0;
      for (let i = 0; i < count; i++) if (!replicas[i]) planned++;
      if (planned) expectations.expectCreations(key, planned);
    }
    let blocked = false;
    for (let i = 0; i < count && !blocked; i++) {
      const ordinal = start + i;
      const pod = replicas[i];
      if (pod && (isFailed(pod) || isSucceeded(pod))) {
        // The replacement is made on a later sync, once this one is gone.
        if (!isTerminating(pod)) {
          try {
            deleteInView(pod);
          } catch (e) {
            errors.push(e);
          }
        }
        if (monotonic) blocked = true;
        continue;
      }
      if (!pod) {
        const next = newVersionedPod(currentSet, updateSet, currentName, updateName, ordinal);
        if (staleClaim(ordinal, next)) {
          if (!monotonic) expectations.lowerCreations(key);
          requeueAfter(key, STALE_CLAIM_RETRY_MS);
          if (monotonic) blocked = true;
          continue;
        }
        if (monotonic) expectations.expectCreations(key, 1);
        try {
          const created = await createPod(key, set, next);
          view.set(created.metadata.name!, created);
          replicas[i] = created;
        } catch (e) {
          errors.push(e);
          if (monotonic) blocked = true;
          continue;
        }
        if (monotonic) blocked = true;
        continue;
      }
      if (isPending(pod)) {
        try {
          createClaims(set, pod);
        } catch (e) {
          errors.push(e);
        }
      }
      if (monotonic && (isTerminating(pod) || notYetAvailable(pod))) {
        blocked = true;
        continue;
      }
      if (isTerminating(pod)) continue;
      try {
        if (!identityMatches(set, pod)) {
          const patched = registry.patch(
            podDef,
            ns,
            pod.metadata.name!,
            'merge',
            { metadata: { labels: identityLabels(pod) } },
            { fieldManager: MANAGER },
          );
          view.set(pod.metadata.name!, patched.object as PodObj);
        }
        createClaims(set, pod);
        fixClaimRefs(set, pod);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) errors.push(e);
      }
    }

    // 2. Condemned Pods (scale down), from the highest ordinal.
    if (!blocked && !errors.length) {
      for (let t = condemned.length - 1; t >= 0; t--) {
        const pod = condemned[t]!;
        if (isTerminating(pod)) {
          if (monotonic) {
            blocked = true;
            break;
          }
          continue;
        }
        if (monotonic && pod !== firstUnhealthy && notYetAvailable(pod)) {
          blocked = true;
          break;
        }
        try {
          fixClaimRefs(set, pod);
          deleteInView(pod);
        } catch (e) {
          errors.push(e);
        }
        if (monotonic) {
          blocked = true;
          break;
        }
      }
    }

    // 3. Rolling update from the highest ordinal down to the partition.
    if (!blocked && !errors.length && set.spec?.updateStrategy?.type === 'RollingUpdate') {
      const partition = set.spec.updateStrategy.rollingUpdate?.partition ?? 0;
      for (let t = replicas.length - 1; t >= partition; t--) {
        const pod = replicas[t];
        if (!pod) break;
        if (revisionOf(pod) !== updateName && !isTerminating(pod)) {
          try {
            deleteInView(pod);
          } catch (e) {
            errors.push(e);
          }
          break;
        }
        if (!isHealthy(pod)) break;
        if (!isRunningAndAvailable(pod, minReady, now)) {
          noteAvailable(pod);
          break;
        }
      }
    }

    // 4. Status, history, and a wake-up when a Pod becomes available.
    const status = computeStatus(set, [...view.values()], currentName, updateName, collisionCount, now);
    writeStatus(set, status);
    truncateHistory(set, revs, [...view.values()], currentName, updateName);
    for (const p of view.values()) noteAvailable(p);
    if (wakeAt !== undefined) requeueAfter(key, Math.max(0, wakeAt - now));
    if (errors.length) throw errors[0];
  };

  const writeStatus = (set: StatefulSetObj, status: StatefulSetStatus) => {
    const ns = set.metadata.namespace ?? '';
    let cur: StatefulSetObj;
    try {
      cur = registry.get(setDef, ns, set.metadata.name!) as StatefulSetObj;
    } catch {
      return;
    }
    if (cur.metadata.uid !== set.metadata.uid) return;
    // A status written from an older generation than one already recorded is not written back.
    if ((cur.status?.observedGeneration ?? 0) > (status.observedGeneration ?? 0)) return;
    if (deepEqual(cur.status ?? {}, status)) return;
    registry.update(setDef, ns, set.metadata.name!, { ...cur, status }, { subresource: 'status', fieldManager: MANAGER });
  };

  /** upstream truncateHistory: revisions no Pod and neither status revision uses, beyond the limit, go. */
  const truncateHistory = (set: StatefulSetObj, revs: ControllerRevisionObj[], pods: PodObj[], current: string, update: string) => {
    const live = new Set([current, update, ...pods.map(revisionOf)]);
    const history = revs.filter((r) => !live.has(r.metadata.name!));
    const limit = set.spec?.revisionHistoryLimit ?? 10;
    for (const r of history.slice(0, Math.max(0, history.length - limit))) {
      try {
        registry.delete(revDef, r.metadata.namespace ?? '', r.metadata.name!, { preconditions: { uid: r.metadata.uid } });
      } catch (e) {
        if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  };

  const queue = createQueue(COMPONENT, sync, (key, err) => log.debug({ err, statefulset: key }, 'statefulset sync failed, retrying'));

  // ---- events ----
  const enqueueSet = (o: KubeObject) => queue.add(keyOf(o.metadata.namespace ?? '', o.metadata.name!));
  /** The set controlling a Pod, else (an orphan) every set of its namespace that would adopt it. */
  const enqueueForPod = (p: KubeObject) => {
    const ns = p.metadata.namespace ?? '';
    const ref = controllerOf(p);
    if (ref) {
      if (ref.kind === 'StatefulSet' && ref.apiVersion.startsWith('apps/')) queue.add(keyOf(ns, ref.name));
      return;
    }
    for (const s of setInformer.list(ns) as StatefulSetObj[]) if (selects(s, p) && isMemberOf(s, p)) enqueueSet(s);
  };
  const ownerKey = (p: KubeObject): string | undefined => {
    const ref = controllerOf(p);
    return ref?.kind === 'StatefulSet' ? keyOf(p.metadata.namespace ?? '', ref.name) : undefined;
  };
  const offSets = setInformer.on({
    add: enqueueSet,
    update: enqueueSet,
    delete: (s) => {
      const key = keyOf(s.metadata.namespace ?? '', s.metadata.name!);
      expectations.forget(key);
      wakeups.cancel(key);
    },
  });
  const offPods = podInformer.on({
    add(p) {
      const k = ownerKey(p);
      if (k) expectations.creationObserved(k);
      enqueueForPod(p);
    },
    update(p, old) {
      const k = ownerKey(p);
      if (k && p.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) expectations.deletionObserved(k, p.metadata.uid);
      const ko = ownerKey(old);
      if (ko && ko !== k) queue.add(ko);
      if (!deepEqual(p.metadata.labels, old.metadata.labels) && !controllerOf(old)) enqueueForPod(old);
      enqueueForPod(p);
    },
    delete(p) {
      const k = ownerKey(p);
      if (k) expectations.deletionObserved(k, p.metadata.uid);
      enqueueForPod(p);
    },
  });

  return {
    stop() {
      offSets();
      offPods();
      wakeups.stop();
      queue.stop();
    },
    idle: () => queue.idle(),
  };
}
