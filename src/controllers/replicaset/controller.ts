// The ReplicaSet controller and the replication manager (upstream pkg/controller/replicaset
// replica_set.go, and pkg/controller/replication, which runs the same controller over
// ReplicationControllers through adapters): one implementation, two flavors that differ only in
// their kind, their selector (a LabelSelector, or a map) and their event source.
// Each sync of an owner:
// - claims the active Pods of its namespace (adopts matching orphans, releases owned Pods whose
//   labels no longer match: workload/controller-ref.ts);
// - unless it still waits for its last creations/deletions to show up in the informer
//   (expectations) or is being deleted: creates the missing Pods from its template in slow-start
//   batches (1, 2, 4, ... stopping at the first failing batch), at most 500 per sync, or deletes
//   the surplus, the least valuable first (workload/pods.ts deletionOrder);
// - writes status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
//   observedGeneration, the ReplicaFailure condition) when it changed, and looks again when a
//   ready Pod becomes available (minReadySeconds, on the controllers' clock).
// Events as upstream's pod control records them: SuccessfulCreate "Created pod: NAME",
// SuccessfulDelete "Deleted pod: NAME", FailedCreate "Error creating: ..." / FailedDelete
// "Error deleting: ..." (Warnings). A failing sync throws after writing status: the queue backs
// off (5 ms doubling to 30 s), so an owner that cannot create Pods never hot-loops.
import type { KubeObject, OwnerReference } from '../../apimachinery/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { ResourceDef } from '../../registry/types.js';
import type { ReplicaSetStatus } from '../../api/generated/apps/v1.js';
import { requireDef } from '../../registry/kinds.js';
import { storageResource } from '../../registry/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { matchLabelSelector, matchSelectorMap, type LabelSelector } from '../../apimachinery/selectors.js';
import { createQueue } from '../queue.js';
import { eventRecorder, type EventRecorder } from '../events.js';
import { controllerUser, errText, type Controller, type ControllerContext } from '../context.js';
import { claim, controllerOf, controllerRef } from '../workload/controller-ref.js';
import { createExpectations } from '../workload/expectations.js';
import { ownedPodHandlers, resolveControllerRef, selectsEverything } from '../workload/owner-events.js';
import { createWakeups } from '../workload/wakeups.js';
import { availableAt, deletionOrder, isPodActive, isPodReady } from '../workload/pods.js';
import { podFromTemplate } from '../workload/pod-template.js';
import type { PodTemplateSpec } from '../../registry/podtemplate.js';
import { calculateStatus, statusUnchanged, type ReplicaOwner } from './status.js';

const MANAGER = 'kube-controller-manager';
/** upstream BurstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 500;
/** upstream SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH = 1;

/** What tells a ReplicaSet from a ReplicationController. */
export interface ReplicaFlavor {
  /** The owners' kind (apps/v1 ReplicaSet or core/v1 ReplicationController). */
  def: ResourceDef;
  /** The event source and queue name (`replicaset-controller`, `replication-controller`). */
  component: string;
  /**
   * The owner's selector as a label matcher; undefined when it selects nothing usable (empty,
   * absent, or not convertible: upstream skips such an owner without an error).
   */
  selector(owner: KubeObject): ((labels: Record<string, string> | undefined) => boolean) | undefined;
}

type Owner = KubeObject & ReplicaOwner & { spec?: ReplicaOwner['spec'] & { template?: PodTemplateSpec } };

const VALID_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** apps/v1 ReplicaSet: a metav1.LabelSelector. */
export function replicaSetFlavor(defs: ResourceDef[]): ReplicaFlavor {
  return {
    def: requireDef(defs, 'apps', 'replicasets'),
    component: 'replicaset-controller',
    selector(owner) {
      const sel = (owner as { spec?: { selector?: LabelSelector | null } }).spec?.selector;
      if (!sel || selectsEverything(sel)) return undefined;
      if ((sel.matchExpressions ?? []).some((e) => !VALID_OPERATORS.has(e.operator))) return undefined;
      return (labels) => matchLabelSelector(sel, labels);
    },
  };
}

/** core/v1 ReplicationController: a map selector. */
export function replicationControllerFlavor(defs: ResourceDef[]): ReplicaFlavor {
  return {
    def: requireDef(defs, '', 'replicationcontrollers'),
    component: 'replication-controller',
    selector(owner) {
      const sel = (owner as { spec?: { selector?: Record<string, string> | null } }).spec?.selector;
      if (!sel || !Object.keys(sel).length) return undefined;
      return (labels) => matchSelectorMap(sel, labels);
    },
  };
}

const namespaceTerminating = (e: unknown) =>
  e instanceof StatusError && !!e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');
const rvNum = (o: KubeObject | undefined) => Number(o?.metadata.resourceVersion ?? 0);

/** Starts one flavor's controller. */
export function startReplicaController(ctx: ControllerContext, flavor: ReplicaFlavor): Controller {
  const { registry, defs, log, informers, clock, store, admitted } = ctx;
  const { def, component } = flavor;
  const CONTROLLER_USER = controllerUser(component);
  const resource = storageResource(def);
  const podDef = requireDef(defs, '', 'pods');
  const ownerInformer = informers.for(resource);
  const podInformer = informers.for('pods');
  const record: EventRecorder = eventRecorder(
    registry,
    requireDef(defs, '', 'events'),
    component,
    (err) => log.debug({ err }, 'event not recorded'),
    {
      now: () => clock.now(),
    },
  );
  const expectations = createExpectations(() => clock.now());
  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  /**
   * Our own status writes, until the informer shows them (it lags one commit): a sync in between
   * must not compare against, or write over, the older copy.
   */
  const written = new Map<string, Owner>();
  /** Looks at a key again at a time of the controllers' clock (the earliest wanted time wins). */
  const wakeups = createWakeups(clock, (key) => queue.add(key));

  const ownerOf = (ns: string, name: string): Owner | undefined => {
    const key = `${ns}/${name}`;
    const cached = ownerInformer.get(ns, name) as Owner | undefined;
    const mine = written.get(key);
    if (!mine) return cached;
    if (!cached || cached.metadata.uid !== mine.metadata.uid || rvNum(cached) >= rvNum(mine)) {
      written.delete(key);
      return cached;
    }
    return mine;
  };

  /** upstream resolveControllerRef: the owner a Pod's controller reference names, if it is ours. */
  const resolve = (ns: string, ref: OwnerReference | undefined): Owner | undefined =>
    resolveControllerRef<Owner>(ownerInformer, def.kind, ns, ref);

  /** upstream getPodReplicaSets: the owners whose selector matches an orphan. */
  const ownersMatching = (pod: KubeObject): Owner[] =>
    (ownerInformer.list(pod.metadata.namespace ?? '') as Owner[]).filter((o) => flavor.selector(o)?.(pod.metadata.labels) ?? false);

  /** upstream slowStartBatch: batches of 1, 2, 4, ... stopping after the first batch with an error. */
  const slowStart = async (count: number, fn: () => unknown): Promise<{ successes: number; error?: unknown }> => {
    let remaining = count;
    let successes = 0;
    for (let batch = Math.min(remaining, SLOW_START_INITIAL_BATCH); batch > 0; batch = Math.min(2 * batch, remaining)) {
      let error: unknown;
      for (let i = 0; i < batch; i++) {
        try {
          await fn();
          successes++;
        } catch (e) {
          error ??= e;
        }
      }
      remaining -= batch;
      if (error !== undefined) return { successes, error };
    }
    return { successes };
  };

  /** upstream manageReplicas: create the missing Pods or delete the surplus. */
  const manageReplicas = async (key: string, owner: Owner, pods: PodObj[]): Promise<Error | undefined> => {
    const ns = owner.metadata.namespace ?? '';
    const want = owner.spec?.replicas ?? 0;
    let diff = pods.length - want;
    if (diff < 0) {
      diff = Math.min(-diff, BURST_REPLICAS);
      // Expected before the first create: the informer may show a new Pod before this sync ends.
      expectations.expectCreations(key, diff);
      const ref = controllerRef(owner);
      const { successes, error } = await slowStart(diff, async () => {
        const pod = podFromTemplate(owner.spec?.template, owner, ref);
        try {
          if (!Object.keys(pod.metadata.labels ?? {}).length) throw new Error('unable to create pods, no labels');
          // Through admission webhooks, as upstream's controller creates through the API.
          const opts = { fieldManager: MANAGER, trusted: true, user: CONTROLLER_USER };
          const created = (admitted ? await admitted.create(podDef, ns, pod, opts) : registry.create(podDef, ns, pod, opts)).object;
          record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        } catch (e) {
          // Nothing can be created in a namespace being deleted: not this owner's failure.
          if (namespaceTerminating(e)) {
            expectations.lowerCreations(key);
            return;
          }
          record(owner, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`);
          throw e;
        }
      });
      // Creations that failed or were skipped will never be observed.
      if (diff - successes > 0) expectations.lowerCreations(key, diff - successes);
      return error === undefined ? undefined : error instanceof Error ? error : new Error(errText(error));
    }
    if (diff > 0) {
      diff = Math.min(diff, BURST_REPLICAS);
      const doomed = deletionOrder(pods, clock.now()).slice(0, diff);
      expectations.expectDeletions(
        key,
        doomed.map((p) => p.metadata.uid!),
      );
      let firstError: Error | undefined;
      for (const p of doomed) {
        try {
          registry.delete(podDef, ns, p.metadata.name!, {});
          record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (e) {
          expectations.deletionObserved(key, p.metadata.uid);
          if (e instanceof StatusError && e.code === 404) continue;
          record(owner, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
          firstError ??= new Error(`unable to delete pods: ${errText(e)}`);
        }
      }
      return firstError;
    }
    return undefined;
  };

  /** upstream updateReplicaSetStatus: written only when something changed. */
  const writeStatus = (key: string, owner: Owner, status: ReplicaSetStatus): Owner => {
    if (statusUnchanged(owner, status)) return owner;
    const body = { ...owner, status: { ...status, observedGeneration: owner.metadata.generation } } as Owner;
    try {
      const res = registry.update(def, owner.metadata.namespace ?? '', owner.metadata.name!, body, {
        fieldManager: MANAGER,
        subresource: 'status',
        trusted: true,
      });
      const o = res.object as Owner;
      written.set(key, o);
      return o;
    } catch (e) {
      // Gone meanwhile: its deletion event cleans up.
      if (e instanceof StatusError && e.code === 404) return owner;
      throw e;
    }
  };

  const sync = async (key: string) => {
    const slash = key.indexOf('/');
    const ns = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const owner = ownerOf(ns, name);
    if (!owner) {
      expectations.forget(key);
      written.delete(key);
      wakeups.cancel(key);
      return;
    }
    const needsSync = expectations.satisfied(key);
    const matches = flavor.selector(owner);
    if (!matches) {
      log.debug({ owner: key }, 'selector selects nothing; not syncing');
      return;
    }
    const active = (podInformer.list(ns) as PodObj[]).filter(isPodActive);
    const pods = claim(owner, active, {
      registry,
      def: podDef,
      matches: (p) => matches(p.metadata.labels),
      fresh: () => store.get(resource, ns, name),
      fieldManager: MANAGER,
    });
    let manageError: Error | undefined;
    if (needsSync && !owner.metadata.deletionTimestamp) manageError = await manageReplicas(key, owner, pods);
    const now = clock.now();
    const status = calculateStatus(owner, pods, manageError, now);
    const updated = writeStatus(key, owner, status);
    // A ready Pod becomes available minReadySeconds after it turned ready: look again then.
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (!manageError && minReady > 0) {
      let next: number | undefined;
      for (const p of pods) {
        const at = isPodReady(p) ? availableAt(p, minReady, now) : undefined;
        if (at !== undefined && (next === undefined || at < next)) next = at;
      }
      if (next !== undefined) wakeups.at(key, next);
    }
    if (manageError) throw manageError;
  };

  const queue = createQueue(component, sync, (key, err) => log.debug({ err, owner: key }, `${component} sync failed, retrying`));
  const enqueue = (o: KubeObject) => queue.add(keyOf(o));

  /** upstream addPod / deletePod (podGone: a Pod gone, or being deleted, is a deletion its owner may await). */
  const { added: podAdded, deleted: podGone } = ownedPodHandlers<Owner>({
    resolve: (pod) => resolve(pod.metadata.namespace ?? '', controllerOf(pod)),
    adopters: ownersMatching,
    keyOf,
    expectations,
    add: (key) => queue.add(key),
  });

  const offOwners = ownerInformer.on({
    add: enqueue,
    update: enqueue,
    delete: (o) => {
      expectations.forget(keyOf(o));
      enqueue(o);
    },
  });
  const offPods = podInformer.on({
    // An orphan: every owner that might adopt it looks (no creation is observed).
    add: podAdded,
    update(pod, old) {
      if (pod.metadata.resourceVersion === old.metadata.resourceVersion) return;
      const labelsChanged = JSON.stringify(pod.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {});
      if (pod.metadata.deletionTimestamp) {
        podGone(pod);
        if (labelsChanged) podGone(old);
        return;
      }
      const ref = controllerOf(pod);
      const oldRef = controllerOf(old);
      const refChanged = JSON.stringify(ref ?? null) !== JSON.stringify(oldRef ?? null);
      if (refChanged && oldRef) {
        const prev = resolve(old.metadata.namespace ?? '', oldRef);
        if (prev) enqueue(prev);
      }
      if (ref) {
        const owner = resolve(pod.metadata.namespace ?? '', ref);
        if (owner) enqueue(owner);
        return;
      }
      if (labelsChanged || refChanged) for (const o of ownersMatching(pod)) enqueue(o);
    },
    delete: podGone,
  });

  return {
    stop() {
      offOwners();
      offPods();
      queue.stop();
      wakeups.stop();
    },
    idle: () => queue.idle(),
  };
}

/** Both flavors: the ReplicaSet controller and the replication manager. */
export function startReplicaSetControllers(ctx: ControllerContext): Controller {
  const all = [
    startReplicaController({ ...ctx, log: ctx.log.child({ controller: 'replicaset' }) }, replicaSetFlavor(ctx.defs)),
    startReplicaController({ ...ctx, log: ctx.log.child({ controller: 'replicationcontroller' }) }, replicationControllerFlavor(ctx.defs)),
  ];
  return {
    stop() {
      for (const c of all) c.stop();
    },
    async idle() {
      await Promise.all(all.map((c) => c.idle()));
    },
  };
}
