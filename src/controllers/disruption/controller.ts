// The disruption controller (upstream pkg/controller/disruption/disruption.go): keeps each
// PodDisruptionBudget's status current. The Pods its selector covers; how many there should be
// (minAvailable as an int: the Pods found; a percentage or maxUnavailable: the sum of the scales of
// the Pods' controllers: ReplicationController, Deployment (through its ReplicaSet), ReplicaSet,
// StatefulSet, or any kind with a scale subresource); how many are healthy (ready, not being
// deleted, not recently evicted); disruptionsAllowed and the DisruptionAllowed condition.
// Evictions the API server approved are remembered in status.disruptedPods until the Pod is seen
// being deleted, or for 2 minutes (by the controllers' clock). A sync that fails sets
// disruptionsAllowed to 0 with reason SyncFailed (fail safe), and a Pod left with a
// DisruptionTarget condition but never deleted gets the condition reset after 2 minutes.
import type { ControllerContext, Controller } from '../context.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { ResourceDef } from '../../registry/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { PodDisruptionBudgetStatus } from '../../api/generated/policy/v1.js';
import type { LabelSelector } from '../../api/generated/meta/v1.js';
import { findDef, requireDef } from '../../registry/kinds.js';
import { storageResource } from '../../registry/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { deepEqual, rfc3339 } from '../../apimachinery/meta.js';
import { setCondition } from '../../registry/pod/binding.js';
import {
  DISRUPTION_ALLOWED,
  SYNC_FAILED,
  conditionsAreUpToDate,
  pdbSelects,
  scaledValue,
  setStatusCondition,
  updateDisruptionAllowedCondition,
  type PdbObj,
} from '../../registry/policy/poddisruptionbudget.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { controllerOf } from '../workload/controller-ref.js';
import { isPodReady, podCondition } from '../workload/pods.js';

/** DeletionTimeout: how long an approved eviction counts against the budget without the Pod being deleted. */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;
/** stalePodDisruptionTimeout: a DisruptionTarget condition without deletion is reset after this. */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60 * 1000;

const PDBS = 'policy/poddisruptionbudgets';
const MANAGER = { fieldManager: 'kube-controller-manager' };

const groupOf = (apiVersion: string | undefined) => (apiVersion?.includes('/') ? apiVersion.split('/')[0]! : '');

/** Go's %v of a *metav1.LabelSelector (its generated String()). */
function selectorGoString(sel: LabelSelector | undefined): string {
  if (!sel) return '<nil>';
  const labels = Object.keys(sel.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${sel.matchLabels![k]},`)
    .join('');
  const exprs = (sel.matchExpressions ?? [])
    .map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[]string{${(e.values ?? []).join(',')}},}`)
    .join(',');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

export function startDisruptionController(ctx: ControllerContext): Controller {
  const { registry, defs, log, informers, clock } = ctx;
  const pdbDef = requireDef(defs, 'policy', 'poddisruptionbudgets');
  const podDef = requireDef(defs, '', 'pods');
  const record = eventRecorder(
    registry,
    requireDef(defs, '', 'events'),
    'controllermanager',
    (err) => log.debug({ err }, 'event not recorded'),
    {
      now: () => clock.now(),
    },
  );
  const pods = informers.for('pods');
  const pdbs = informers.for(PDBS);
  const timers = new Set<() => void>();
  const after = (ms: number, fn: () => void) => {
    const cancel = clock.after(ms, () => {
      timers.delete(cancel);
      fn();
    });
    timers.add(cancel);
  };

  /** A workload kind's object, through its def (the kinds may or may not be served). */
  const lookup = (group: string, plural: string) => {
    const def = findDef(defs, group, plural);
    return def ? (ns: string, name: string) => informers.for(storageResource(def)).get(ns, name) : () => undefined;
  };
  const getRC = lookup('', 'replicationcontrollers');
  const getRS = lookup('apps', 'replicasets');
  const getDeployment = lookup('apps', 'deployments');
  const getSTS = lookup('apps', 'statefulsets');
  const replicasOf = (o: KubeObject) => (o as { spec?: { replicas?: number } }).spec?.replicas ?? 0;

  type Found = { uid: string; scale: number } | undefined;
  const same = (o: KubeObject | undefined, uid: string) => (o && o.metadata.uid === uid ? o : undefined);

  /** upstream's finders, in order: RC, Deployment (through its RS), RS, StatefulSet, any scale. */
  function findController(ref: NonNullable<ReturnType<typeof controllerOf>>, ns: string): Found {
    const group = groupOf(ref.apiVersion);
    if (ref.kind === 'ReplicationController' && group === '') {
      const rc = same(getRC(ns, ref.name), ref.uid);
      if (rc) return { uid: ref.uid, scale: replicasOf(rc) };
    }
    if (ref.kind === 'ReplicaSet' && (group === 'apps' || group === 'extensions')) {
      const rs = same(getRS(ns, ref.name), ref.uid);
      if (rs) {
        const owner = controllerOf(rs);
        if (owner && owner.kind === 'Deployment') {
          const og = groupOf(owner.apiVersion);
          if (og === 'apps' || og === 'extensions') {
            const d = same(getDeployment(ns, owner.name), owner.uid);
            if (d) return { uid: owner.uid, scale: replicasOf(d) };
          }
        } else {
          return { uid: ref.uid, scale: replicasOf(rs) };
        }
      }
    }
    if (ref.kind === 'StatefulSet' && group === 'apps') {
      const ss = same(getSTS(ns, ref.name), ref.uid);
      if (ss) return { uid: ref.uid, scale: replicasOf(ss) };
    }
    // getScaleController: any kind with a scale subresource.
    const matches = defs.filter((d) => d.group === group && d.kind === ref.kind);
    if (!matches.length) throw new Error(`no matches for kind "${ref.kind}" in group "${group}"`);
    const def: ResourceDef = matches.find((d) => d.version === ref.apiVersion.split('/').pop()) ?? matches[0]!;
    if (!def.scale) {
      if (informers.for(storageResource(def)).get(ns, ref.name))
        throw new Error(`${def.plural}${group ? `.${group}` : ''} does not implement the scale subresource`);
      return undefined;
    }
    const o = same(informers.for(storageResource(def)).get(ns, ref.name), ref.uid);
    return o ? { uid: ref.uid, scale: replicasOf(o) } : undefined;
  }

  /** getExpectedScale: the sum of the controllers' scales; Pods without a controller are unmanaged. */
  function expectedScale(list: PodObj[]): { expected: number; unmanaged: string[] } {
    const scales = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const p of list) {
      const ref = controllerOf(p);
      if (!ref) {
        unmanaged.push(p.metadata.name!);
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = findController(ref, p.metadata.namespace!);
      if (!found) throw new Error(`found no controllers for pod "${p.metadata.name}"`);
      scales.set(found.uid, found.scale);
    }
    let expected = 0;
    for (const s of scales.values()) expected += s;
    return { expected, unmanaged };
  }

  /** getExpectedPodCount. */
  function expectedPodCount(pdb: PdbObj, list: PodObj[]): { expected: number; desired: number; unmanaged: string[] } {
    const spec = pdb.spec ?? {};
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      const { expected, unmanaged } = expectedScale(list);
      const maxUnavailable = scaledValue(spec.maxUnavailable, expected, true);
      return { expected, desired: Math.max(0, expected - maxUnavailable), unmanaged };
    }
    if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
      if (typeof spec.minAvailable === 'number') return { expected: list.length, desired: spec.minAvailable, unmanaged: [] };
      const { expected, unmanaged } = expectedScale(list);
      return { expected, desired: scaledValue(spec.minAvailable, expected, true), unmanaged };
    }
    return { expected: 0, desired: 0, unmanaged: [] };
  }

  const podsFor = (pdb: PdbObj) => (pods.list(pdb.metadata.namespace) as PodObj[]).filter((p) => pdbSelects(pdb, p.metadata.labels));

  /** buildDisruptedPodMap: entries of Pods not yet being deleted, until they expire. */
  function disruptedPodMap(pdb: PdbObj, list: PodObj[], now: number): { map: Record<string, string>; recheck?: number } {
    const had = pdb.status?.disruptedPods;
    const map: Record<string, string> = {};
    let recheck: number | undefined;
    if (!had) return { map };
    for (const p of list) {
      if (p.metadata.deletionTimestamp) continue;
      const at = had[p.metadata.name!];
      if (!at) continue;
      const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (expires < now) {
        record(
          p,
          'Warning',
          'NotDeleted',
          `Pod was expected by PDB ${pdb.metadata.namespace}/${pdb.metadata.namespace} to be deleted but it wasn't`,
        );
      } else {
        if (recheck === undefined || expires < recheck) recheck = expires;
        map[p.metadata.name!] = at;
      }
    }
    return { map, recheck };
  }

  function countHealthy(list: PodObj[], disrupted: Record<string, string>, now: number): number {
    let n = 0;
    for (const p of list) {
      if (p.metadata.deletionTimestamp) continue;
      const at = disrupted[p.metadata.name!];
      if (at && Date.parse(at) + DELETION_TIMEOUT_MS > now) continue;
      if (isPodReady(p)) n++;
    }
    return n;
  }

  const writeStatus = (pdb: PdbObj, status: PodDisruptionBudgetStatus) =>
    registry.update(pdbDef, pdb.metadata.namespace!, pdb.metadata.name!, { ...pdb, status }, { ...MANAGER, subresource: 'status' });

  function updateStatus(
    pdb: PdbObj,
    currentHealthy: number,
    desiredHealthy: number,
    expectedPods: number,
    disrupted: Record<string, string>,
  ) {
    let disruptionsAllowed = currentHealthy - desiredHealthy;
    if (expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
    const st = pdb.status;
    const generation = pdb.metadata.generation ?? 0;
    if (
      st &&
      st.currentHealthy === currentHealthy &&
      st.desiredHealthy === desiredHealthy &&
      st.expectedPods === expectedPods &&
      st.disruptionsAllowed === disruptionsAllowed &&
      deepEqual(st.disruptedPods ?? {}, disrupted) &&
      (st.observedGeneration ?? 0) === generation &&
      conditionsAreUpToDate(pdb)
    )
      return;
    const next: PodDisruptionBudgetStatus = {
      observedGeneration: generation,
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods,
      conditions: st?.conditions ?? [],
    };
    updateDisruptionAllowedCondition(next, new Date(clock.now()));
    writeStatus(pdb, next);
  }

  /** failSafe: no disruptions while the budget cannot be computed. */
  function failSafe(pdb: PdbObj, err: unknown) {
    const st: PodDisruptionBudgetStatus = {
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      ...pdb.status,
      disruptionsAllowed: 0,
    };
    st.conditions = setStatusCondition(
      st.conditions,
      {
        type: DISRUPTION_ALLOWED,
        status: 'False',
        reason: SYNC_FAILED,
        message: err instanceof Error ? err.message : String(err),
        observedGeneration: st.observedGeneration,
      },
      new Date(clock.now()),
    );
    writeStatus(pdb, st);
  }

  function trySync(pdb: PdbObj, key: string) {
    const list = podsFor(pdb);
    if (!list.length) record(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let counts: ReturnType<typeof expectedPodCount>;
    try {
      counts = expectedPodCount(pdb, list);
    } catch (err) {
      record(
        pdb,
        'Warning',
        'CalculateExpectedPodCountFailed',
        `Failed to calculate the number of expected pods: ${(err as Error).message}`,
      );
      throw err;
    }
    if (counts.unmanaged.length) {
      record(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${selectorGoString(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = clock.now();
    const { map, recheck } = disruptedPodMap(pdb, list, now);
    const healthy = countHealthy(list, map, now);
    updateStatus(pdb, healthy, counts.desired, counts.expected, map);
    if (recheck !== undefined) after(recheck - now, () => q.add(key));
  }

  const q = createQueue(
    'disruption',
    (key) => {
      const [ns, name] = key.split('/') as [string, string];
      const pdb = pdbs.get(ns, name) as PdbObj | undefined;
      if (!pdb) return;
      try {
        trySync(pdb, key);
      } catch (err) {
        // A conflict is requeued as it is; anything else first sets the fail-safe status.
        if (err instanceof StatusError && (err.code === 409 || err.code === 404)) throw err;
        log.debug({ err, pdb: key }, 'failed to sync PDB');
        try {
          failSafe(pdb, err);
        } catch (e) {
          if (!(e instanceof StatusError && (e.code === 409 || e.code === 404)))
            log.debug({ err: e, pdb: key }, 'fail-safe status not written');
        }
        throw err;
      }
    },
    (key, err) => log.debug({ err, pdb: key }, 'PDB sync retry'),
  );

  // ---- stale DisruptionTarget conditions ----

  /** nonTerminatingPodHasStaleDisruptionCondition: ms until the condition is stale, or undefined. */
  function staleIn(p: PodObj): number | undefined {
    if (p.metadata.deletionTimestamp) return undefined;
    const c = podCondition(p, 'DisruptionTarget');
    const phase = p.status?.phase;
    if (!c || c.status !== 'True' || c.reason === 'TerminationByKubelet' || phase === 'Succeeded' || phase === 'Failed') return undefined;
    const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : clock.now();
    return Math.max(0, STALE_POD_DISRUPTION_TIMEOUT_MS - (clock.now() - since));
  }
  const staleQ = createQueue(
    'stale-pod-disruption',
    (key) => {
      const [ns, name] = key.split('/') as [string, string];
      const p = pods.get(ns, name) as PodObj | undefined;
      if (!p) return;
      const wait = staleIn(p);
      if (wait === undefined) return;
      if (wait > 0) {
        after(wait, () => staleQ.add(key));
        return;
      }
      const st = p.status ?? {};
      const conditions = setCondition(st.conditions, {
        type: 'DisruptionTarget',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: rfc3339(new Date(clock.now())),
      });
      registry.update(podDef, ns, name, { ...p, status: { ...st, conditions } }, { ...MANAGER, subresource: 'status' });
    },
    (key, err) => log.debug({ err, pod: key }, 'stale DisruptionTarget retry'),
  );

  const enqueuePdb = (pdb: KubeObject) => q.add(`${pdb.metadata.namespace}/${pdb.metadata.name}`);
  /** getPdbForPod: the first budget covering the Pod (a warning when there are several). */
  const onPod = (p: KubeObject) => {
    const pod = p as PodObj;
    const matching = (pdbs.list(pod.metadata.namespace) as PdbObj[]).filter((b) => pdbSelects(b, pod.metadata.labels));
    if (matching.length > 1) {
      record(
        pod,
        'Warning',
        'MultiplePodDisruptionBudgets',
        `Pod "${pod.metadata.namespace}"/"${pod.metadata.name}" matches multiple PodDisruptionBudgets.  Chose "${matching[0]!.metadata.name}" arbitrarily.`,
      );
    }
    if (matching.length) enqueuePdb(matching[0]!);
  };
  const onPodChange = (p: KubeObject) => {
    onPod(p);
    const wait = staleIn(p as PodObj);
    if (wait !== undefined) after(wait, () => staleQ.add(`${p.metadata.namespace}/${p.metadata.name}`));
  };

  const unsubs = [
    pdbs.on({ add: enqueuePdb, update: enqueuePdb, delete: enqueuePdb }),
    pods.on({ add: onPodChange, update: onPodChange, delete: onPod }),
  ];
  return {
    stop() {
      for (const u of unsubs) u();
      for (const t of timers) t();
      timers.clear();
      q.stop();
      staleQ.stop();
    },
    idle: async () => {
      await q.idle();
      await staleQ.idle();
    },
  };
}
