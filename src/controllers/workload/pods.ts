// Pod facts every workload controller asks (upstream pkg/api/v1/pod and pkg/controller
// controller_utils.go): active, ready, available, and which Pods to delete first when scaling down.
import type { PodCondition } from '../../api/generated/core/v1.js';
import type { PodObj } from '../../registry/pod/strategy.js';

/** Not finished and not being deleted (upstream IsPodActive). */
export const isPodActive = (p: PodObj): boolean =>
  p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp;

/** Succeeded or Failed (upstream IsPodTerminal): its containers are gone, its volumes unmounted. */
export const isPodTerminal = (p: PodObj): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export const podCondition = (p: PodObj, type: string): PodCondition | undefined => p.status?.conditions?.find((c) => c.type === type);

/** upstream podutil.IsPodReady: condition Ready is True. */
export const isPodReady = (p: PodObj): boolean => podCondition(p, 'Ready')?.status === 'True';

/**
 * upstream podutil.IsPodAvailable: ready for at least minReadySeconds (by the Ready condition's
 * lastTransitionTime) at `now` (ms).
 */
export function isPodAvailable(p: PodObj, minReadySeconds: number, now: number): boolean {
  const c = podCondition(p, 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** When a ready Pod will become available (ms), or undefined when it is not ready or is already. */
export function availableAt(p: PodObj, minReadySeconds: number, now: number): number | undefined {
  const c = podCondition(p, 'Ready');
  if (c?.status !== 'True' || !minReadySeconds || !c.lastTransitionTime) return undefined;
  const at = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000;
  return at > now ? at : undefined;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const restarts = (p: PodObj) => (p.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0);
const deletionCost = (p: PodObj) => {
  const v = Number.parseInt(p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? '', 10);
  return Number.isFinite(v) ? v : 0;
};
const readySince = (p: PodObj) => {
  const t = podCondition(p, 'Ready')?.lastTransitionTime;
  return t ? Date.parse(t) : 0;
};
const created = (p: PodObj) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
/** upstream LogarithmicScaleDown: times compared in powers-of-two buckets of their age. */
const bucket = (t: number, now: number) => (t ? Math.floor(Math.log2(Math.max(1, (now - t) / 1000))) : 0);

/**
 * Pods in the order to delete them when scaling down (upstream ActivePodsWithRanks with
 * LogarithmicScaleDown): unscheduled, pending, not ready, lower deletion cost, more Pods of the
 * same controller on its node (`rank`), ready for less time, more restarts, newer.
 */
export function deletionOrder(pods: PodObj[], now: number, rank: (p: PodObj) => number = () => 0): PodObj[] {
  const cmp = (a: PodObj, b: PodObj): number => {
    const an = a.spec?.nodeName ? 1 : 0;
    const bn = b.spec?.nodeName ? 1 : 0;
    if (an !== bn) return an - bn;
    const ap = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
    const bp = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
    if (ap !== bp) return ap - bp;
    const ar = isPodReady(a) ? 1 : 0;
    const br = isPodReady(b) ? 1 : 0;
    if (ar !== br) return ar - br;
    const ac = deletionCost(a);
    const bc = deletionCost(b);
    if (ac !== bc) return ac - bc;
    const ark = rank(a);
    const brk = rank(b);
    if (ark !== brk) return brk - ark;
    if (ar && br) {
      const at = bucket(readySince(a), now);
      const bt = bucket(readySince(b), now);
      if (at !== bt) return at - bt;
    }
    const arc = restarts(a);
    const brc = restarts(b);
    if (arc !== brc) return brc - arc;
    const aa = bucket(created(a), now);
    const ba = bucket(created(b), now);
    if (aa !== ba) return aa - ba;
    return 0;
  };
  return [...pods].sort(cmp);
}
