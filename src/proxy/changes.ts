// What changed since the last sync, as upstream's ServiceChangeTracker and EndpointsChangeTracker
// keep it (pkg/proxy/servicechangetracker.go, endpointschangetracker.go), reduced to what this
// proxy needs: the Services to sync again, the Services whose status condition to check, and the
// backend addresses that may have gone for good. The informers' events land here (handlers());
// sync.ts takes the changes on its next pass.
//
// An address is gone for good when its Pod was deleted, or when it left the last EndpointSlice
// (of any Service) and no Pod has it: only then are its open connections reset. Slice addresses
// are counted across all slices, so an endpoint moving between slices never looks gone.
import type { KubeObject } from '../apimachinery/types.js';
import type { InformerHandlers } from '../storage/informer.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import type { PodObj } from '../registry/pod/strategy.js';
import { serviceKey } from './listeners.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Changes {
  /** Services to sync on the next pass. */
  readonly dirty: Set<string>;
  /** Services whose listener state may have changed: their status condition is checked on the next pass. */
  readonly statusDirty: Set<string>;
  /** How many slice endpoints carry each address (all slices, all Services). */
  readonly sliceRefs: Map<string, number>;
  /** Addresses that may have gone for good: 'pod' (its Pod was deleted) or 'slice' (left the last slice). */
  readonly gone: Map<string, 'pod' | 'slice'>;
}

export function newChanges(): Changes {
  return { dirty: new Set(), statusDirty: new Set(), sliceRefs: new Map(), gone: new Map() };
}

export function podIPs(pod: PodObj): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p?.ip).filter((ip): ip is string => !!ip);
  return ips.length ? ips : pod.status?.podIP ? [pod.status.podIP] : [];
}

export const sliceIPs = (s: EndpointSliceObj) => (s.endpoints ?? []).flatMap((e) => e.addresses ?? []);

/** The `namespace/name` of the Service a slice belongs to (its kubernetes.io/service-name label). */
export const sliceService = (s: KubeObject) => {
  const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${s.metadata.namespace ?? ''}/${svc}` : undefined;
};

/** Something waits for the next pass. */
export const hasChanges = (c: Changes) => c.dirty.size > 0 || c.statusDirty.size > 0 || c.gone.size > 0;

const mark = (c: Changes, key: string | undefined) => {
  if (key) c.dirty.add(key);
};
const refAdd = (c: Changes, ips: string[]) => {
  for (const ip of ips) c.sliceRefs.set(ip, (c.sliceRefs.get(ip) ?? 0) + 1);
};
const refRemove = (c: Changes, ips: string[]) => {
  for (const ip of ips) {
    const n = (c.sliceRefs.get(ip) ?? 0) - 1;
    if (n > 0) c.sliceRefs.set(ip, n);
    else {
      c.sliceRefs.delete(ip);
      if (!c.gone.has(ip)) c.gone.set(ip, 'slice');
    }
  }
};

export function serviceChanged(c: Changes, svc: KubeObject): void {
  mark(c, serviceKey(svc));
}

export function sliceAdded(c: Changes, s: EndpointSliceObj): void {
  refAdd(c, sliceIPs(s));
  mark(c, sliceService(s));
}

export function sliceUpdated(c: Changes, s: EndpointSliceObj, old: EndpointSliceObj): void {
  // Count the new addresses before dropping the old: one still listed never looks gone.
  refAdd(c, sliceIPs(s));
  refRemove(c, sliceIPs(old));
  mark(c, sliceService(s));
  if (sliceService(old) !== sliceService(s)) mark(c, sliceService(old));
}

export function sliceDeleted(c: Changes, s: EndpointSliceObj): void {
  refRemove(c, sliceIPs(s));
  mark(c, sliceService(s));
}

export function podDeleted(c: Changes, pod: PodObj): void {
  // A host-network Pod's address is the host's, shared with everything else on it.
  if (pod.spec?.hostNetwork) return;
  for (const ip of podIPs(pod)) c.gone.set(ip, 'pod');
}

/** The Services to sync now; they are no longer dirty. */
export function takeDirty(c: Changes): string[] {
  const keys = [...c.dirty];
  c.dirty.clear();
  return keys;
}

/** The Services whose condition to check now (with `also`, the Services just synced). */
export function takeStatusDirty(c: Changes, also: readonly string[]): string[] {
  for (const key of also) c.statusDirty.add(key);
  const keys = [...c.statusDirty];
  c.statusDirty.clear();
  return keys;
}

/**
 * The addresses gone for good now: no Pod has them (podHas) and, for those that left the slices,
 * no slice lists them again. The list of candidates is cleared.
 */
export function takeGone(c: Changes, podHas: (ip: string) => boolean): string[] {
  const out: string[] = [];
  for (const [ip, why] of c.gone) {
    if (podHas(ip)) continue;
    if (why === 'pod' || !c.sliceRefs.has(ip)) out.push(ip);
  }
  c.gone.clear();
  return out;
}

/** Informer handlers that record the changes; changed() is called after each event that left work. */
export function changeHandlers(
  c: Changes,
  changed: () => void,
): { services: InformerHandlers; slices: InformerHandlers; pods: InformerHandlers } {
  const then =
    <A extends unknown[]>(record: (...a: A) => void) =>
    (...a: A) => {
      record(...a);
      if (hasChanges(c)) changed();
    };
  return {
    services: {
      add: then((s: KubeObject) => serviceChanged(c, s)),
      update: then((s: KubeObject) => serviceChanged(c, s)),
      delete: then((s: KubeObject) => serviceChanged(c, s)),
    },
    slices: {
      add: then((s: KubeObject) => sliceAdded(c, s as EndpointSliceObj)),
      update: then((s: KubeObject, old: KubeObject) => sliceUpdated(c, s as EndpointSliceObj, old as EndpointSliceObj)),
      delete: then((s: KubeObject) => sliceDeleted(c, s as EndpointSliceObj)),
    },
    pods: { delete: then((p: KubeObject) => podDeleted(c, p as PodObj)) },
  };
}
