// A DaemonSet's ControllerRevisions (upstream pkg/controller/daemon/update.go constructHistory,
// dedupCurHistories, snapshot, cleanupHistory): the current revision, created from the template or
// renumbered to be the newest, with duplicates merged (their Pods relabelled), a hash collision
// counted in status.collisionCount, and old revisions no Pod runs pruned to revisionHistoryLimit.
import { StatusError } from '../../apimachinery/errors.js';
import { matchLabelSelector } from '../../apimachinery/selectors.js';
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import { controllerRef } from '../workload/controller-ref.js';
import {
  computeHash,
  maxRevision,
  ownedRevisions,
  POD_REVISION_LABEL,
  sortRevisions,
  updateRevisionNumber,
  type ControllerRevisionObj,
} from '../workload/history.js';
import { revisionMatches, revisionPatch } from './util.js';
import { FIELD_MANAGER, freshDs, selectorOf, type DaemonSetContext } from './context.js';
import { daemonPods, nodesToDaemonPods } from './daemon-pods.js';

/** upstream snapshot: a new revision of the current template. */
function snapshot(c: DaemonSetContext, ds: DaemonSetObj, revision: number): ControllerRevisionObj {
  const { registry, dsDef, crDef } = c;
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
export function constructHistory(c: DaemonSetContext, ds: DaemonSetObj): { cur: ControllerRevisionObj; old: ControllerRevisionObj[] } {
  const { registry, crDef, crInf } = c;
  const ns = ds.metadata.namespace ?? '';
  const sel = selectorOf(ds);
  let histories = ownedRevisions(registry, crDef, ds, crInf.list(ns), (r) => matchLabelSelector(sel, r.metadata.labels), freshDs(c, ds));
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
  if (!current.length) return { cur: snapshot(c, ds, next), old };
  let cur = dedupCurrent(c, ds, current);
  if ((cur.revision ?? 0) < next) cur = updateRevisionNumber(registry, crDef, cur, next);
  return { cur, old };
}

/** upstream dedupCurHistories: keep the newest equal revision, relabel Pods of the others, delete them. */
function dedupCurrent(c: DaemonSetContext, ds: DaemonSetObj, current: ControllerRevisionObj[]): ControllerRevisionObj {
  const { registry, crDef, podDef } = c;
  if (current.length === 1) return current[0]!;
  let keep = current[0]!;
  for (const rev of current) if ((rev.revision ?? 0) >= (keep.revision ?? 0)) keep = rev;
  const keepHash = keep.metadata.labels?.[POD_REVISION_LABEL] ?? '';
  const ns = ds.metadata.namespace ?? '';
  for (const rev of current) {
    if (rev.metadata.name === keep.metadata.name) continue;
    for (const pod of daemonPods(c, ds)) {
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
      registry.delete(crDef, ns, rev.metadata.name!);
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
  }
  return keep;
}

/** upstream cleanupHistory: the oldest revisions beyond revisionHistoryLimit that no Pod runs. */
export function cleanupHistory(c: DaemonSetContext, ds: DaemonSetObj, old: ControllerRevisionObj[]): void {
  const { registry, crDef } = c;
  const toKeep = ds.spec?.revisionHistoryLimit ?? 10;
  let toKill = old.length - toKeep;
  if (toKill <= 0) return;
  const live = new Set<string>();
  for (const pods of nodesToDaemonPods(c, ds, true).values())
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
