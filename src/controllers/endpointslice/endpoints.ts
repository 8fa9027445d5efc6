// The legacy Endpoints controller, as pure functions: upstream pkg/controller/endpoint
// (syncService, podToEndpointAddressForService, addEndpointSubset, truncateEndpoints,
// capacityAnnotationSetCorrectly) and pkg/api/v1/endpoints RepackSubsets.
//
// One Endpoints object per Service with a selector, named after it: addresses of the first IP
// family only (spec.ipFamilies[0]), ready ones in `addresses` and the others in
// `notReadyAddresses` (all ready with publishNotReadyAddresses), grouped into subsets that share a
// port set, capped at 1000 addresses with endpoints.kubernetes.io/over-capacity: truncated.
import type { EndpointAddress, EndpointPort, EndpointSubset, EndpointsObj } from '../../registry/endpoints.js';
import type { PodObj, ServiceObj, ServicePort } from './desired.js';
import { controllerManagesService, findPort, isPodReady, podIPsOf, shouldPodBeInEndpoints, shouldSetHostname } from './desired.js';
import {
  ANNOTATION_OVER_CAPACITY,
  ANNOTATION_TRIGGER_TIME,
  LABEL_HEADLESS,
  equalExcept,
  formatRFC3339Nano,
  isIPv6String,
  refsEqual,
  sameStringMap,
} from './util.js';

export type { EndpointAddress, EndpointPort, EndpointSubset, EndpointsObj };

/** upstream maxCapacity: addresses kept in one Endpoints object. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
/** The value of endpoints.kubernetes.io/over-capacity once truncated. */
export const OVER_CAPACITY_TRUNCATED = 'truncated';

/**
 * upstream podToEndpointAddressForService: the Pod's first IP of the Service's primary family
 * (spec.ipFamilies[0]; without it, the ClusterIP's family, or for a headless Service the Pod IP's
 * own), with nodeName and a targetRef to the Pod. undefined when the Pod has no IP of that family.
 */
export function podToEndpointAddress(service: ServiceObj, pod: PodObj): EndpointAddress | undefined {
  let v6: boolean;
  const fam = service.spec?.ipFamilies?.[0];
  if (fam) {
    v6 = fam === 'IPv6';
  } else {
    const cip = service.spec?.clusterIP;
    v6 = cip && cip !== 'None' ? isIPv6String(cip) : isIPv6String(pod.status?.podIP);
  }
  const ip = podIPsOf(pod).find((x) => isIPv6String(x) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  if (shouldSetHostname(pod, service)) addr.hostname = pod.spec!.hostname!;
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
  return addr;
}

/** upstream endpointPortFromServicePort (name omitted when empty, as the API prints it). */
export function endpointPortFromServicePort(sp: ServicePort, port: number): EndpointPort {
  const ep: EndpointPort = { port, protocol: sp.protocol || 'TCP' };
  if (sp.name) ep.name = sp.name;
  if (sp.appProtocol !== undefined && sp.appProtocol !== null) ep.appProtocol = sp.appProtocol;
  return ep;
}

/**
 * The Service's subsets before capping, as upstream's syncService builds them: one subset per
 * Pod and resolved port, then repacked. Pods are included by ShouldPodBeInEndpoints (terminating
 * ones only with publishNotReadyAddresses). A headless Service without ports gets port-less
 * subsets; any other Service without ports gets none.
 */
export function computeSubsets(
  service: ServiceObj,
  pods: readonly PodObj[],
): { subsets: EndpointSubset[]; ready: number; notReady: number } {
  const tolerateUnready = !!service.spec?.publishNotReadyAddresses;
  const raw: EndpointSubset[] = [];
  let ready = 0;
  let notReady = 0;
  const add = (pod: PodObj, addr: EndpointAddress, port: EndpointPort | undefined) => {
    const ports = port ? [port] : [];
    if (tolerateUnready || isPodReady(pod)) {
      raw.push({ addresses: [addr], ports });
      ready++;
    } else {
      raw.push({ notReadyAddresses: [addr], ports });
      notReady++;
    }
  };
  const svcPorts = service.spec?.ports ?? [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = podToEndpointAddress(service, pod);
    if (!addr) continue;
    if (!svcPorts.length) {
      if (service.spec?.clusterIP === 'None') add(pod, addr, undefined);
      continue;
    }
    for (const sp of svcPorts) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      add(pod, addr, endpointPortFromServicePort(sp, n));
    }
  }
  return { subsets: repackSubsets(raw, true), ready, notReady };
}

// ---- RepackSubsets ----

const addrKey = (a: EndpointAddress) => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort) => JSON.stringify([p.name ?? '', p.port, p.protocol ?? '', p.appProtocol ?? null]);
const SENTINEL = '\u0000no-ports';

/** upstream LessEndpointAddress: by IP text, then targetRef uid (none first). */
function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid;
  const ub = b.targetRef?.uid;
  if (ub === undefined) return ua === undefined ? 0 : 1;
  if (ua === undefined) return -1;
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (
    (a.port ?? 0) - (b.port ?? 0) ||
    (a.protocol ?? '').localeCompare(b.protocol ?? '') ||
    (a.name ?? '').localeCompare(b.name ?? '') ||
    (a.appProtocol ?? '').localeCompare(b.appProtocol ?? '')
  );
}

function subsetSortKey(s: EndpointSubset): string {
  const first = (s.addresses ?? [])[0] ?? (s.notReadyAddresses ?? [])[0];
  return JSON.stringify([first?.ip ?? '', (s.ports ?? []).map(portKey)]);
}

/**
 * upstream RepackSubsets: the canonical form of a subset list. Every (address, port) pair is
 * expanded (an address is identified by IP and targetRef uid; not-ready wins over ready for the
 * same port), then ports that share exactly the same addresses (and readiness) are grouped into
 * one subset. Subsets without ports keep their addresses (upstream's sentinel port).
 * Addresses are sorted as upstream sorts them; ports and subsets are sorted by value (upstream
 * sorts those by an md5 of their dump, an order no client can rely on).
 */
export function repackSubsets(subsets: readonly EndpointSubset[] | undefined, owned = false): EndpointSubset[] {
  // Input that is the caller's (a stored object) is copied; freshly built input (`owned`) is not,
  // which keeps a 10,000-Pod Service's recompute cheap.
  const copy = owned ? <T>(x: T) => x : <T>(x: T) => structuredClone(x);
  const allAddrs = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port?: EndpointPort; addrs: Map<string, boolean> }>();
  const map = (addr: EndpointAddress, pk: string, port: EndpointPort | undefined, ready: boolean) => {
    const k = addrKey(addr);
    if (!allAddrs.has(k)) allAddrs.set(k, copy(addr));
    let entry = byPort.get(pk);
    if (!entry) {
      entry = { port, addrs: new Map() };
      byPort.set(pk, entry);
    }
    const was = entry.addrs.get(k);
    if (was === undefined || was) entry.addrs.set(k, ready);
  };
  for (const ss of subsets ?? []) {
    const ports = ss.ports ?? [];
    const targets: [string, EndpointPort | undefined][] = ports.length ? ports.map((p) => [portKey(p), p]) : [[SENTINEL, undefined]];
    for (const [pk, port] of targets) {
      for (const a of ss.addresses ?? []) map(a, pk, port, true);
      for (const a of ss.notReadyAddresses ?? []) map(a, pk, port, false);
    }
  }
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const [pk, entry] of byPort) {
    const sig = JSON.stringify([...entry.addrs.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
    let g = groups.get(sig);
    if (!g) {
      g = { addrs: entry.addrs, ports: [] };
      groups.set(sig, g);
    }
    if (pk !== SENTINEL) g.ports.push(copy(entry.port!));
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    // An address shared by several groups is copied per group (each subset owns its objects).
    const shared = groups.size > 1 ? <T>(x: T) => structuredClone(x) : copy;
    for (const [k, r] of g.addrs) (r ? ready : notReady).push(shared(allAddrs.get(k)!));
    ready.sort(compareAddresses);
    notReady.sort(compareAddresses);
    g.ports.sort(comparePorts);
    const ss: EndpointSubset = {};
    if (ready.length) ss.addresses = ready;
    if (notReady.length) ss.notReadyAddresses = notReady;
    if (g.ports.length) ss.ports = g.ports;
    out.push(ss);
  }
  out.sort((a, b) => {
    const ka = subsetSortKey(a);
    const kb = subsetSortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return out;
}

// ---- capacity ----

const countAddresses = (subsets: readonly EndpointSubset[] | undefined) =>
  (subsets ?? []).reduce((n, s) => n + (s.addresses ?? []).length + (s.notReadyAddresses ?? []).length, 0);

/**
 * upstream truncateEndpoints: above `max` addresses, ready addresses are kept first; the cut is
 * spread over the subsets in proportion to their size (rounded up, the last subsets take what
 * is left). When the ready ones alone exceed `max`, all not-ready ones go. Returns new subsets.
 */
export function truncateSubsets(
  subsets: readonly EndpointSubset[],
  max = MAX_ENDPOINTS_CAPACITY,
): { subsets: EndpointSubset[]; truncated: boolean } {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += (s.addresses ?? []).length;
    totalNotReady += (s.notReadyAddresses ?? []).length;
  }
  if (totalReady + totalNotReady <= max) return { subsets: subsets.map((s) => ({ ...s })), truncated: false };
  const truncateReady = totalReady > max;
  const budget = truncateReady ? max : max - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = budget;
  const out = subsets.map((s) => {
    const inSubset = truncateReady ? (s.addresses ?? []).length : (s.notReadyAddresses ?? []).length;
    let toBeAdded = Math.ceil((inSubset / numTotal) * budget);
    if (toBeAdded > canBeAdded) toBeAdded = canBeAdded;
    const next: EndpointSubset = { ...s };
    if (truncateReady) {
      next.addresses = (s.addresses ?? []).slice(0, toBeAdded);
      delete next.notReadyAddresses;
      canBeAdded -= next.addresses.length;
      if (!next.addresses.length) delete next.addresses;
    } else {
      next.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      canBeAdded -= next.notReadyAddresses.length;
      if (!next.notReadyAddresses.length) delete next.notReadyAddresses;
    }
    return next;
  });
  return { subsets: out, truncated: true };
}

/** upstream capacityAnnotationSetCorrectly: at most `max` addresses and no over-capacity annotation. */
export function capacityAnnotationSetCorrectly(
  annotations: Record<string, string> | undefined,
  subsets: readonly EndpointSubset[] | undefined,
): boolean {
  if (countAddresses(subsets) > MAX_ENDPOINTS_CAPACITY) return false;
  return !Object.prototype.hasOwnProperty.call(annotations ?? {}, ANNOTATION_OVER_CAPACITY);
}

const listEqual = <T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean) =>
  a.length === b.length && a.every((x, i) => eq(x, b[i]!));
const addressEqual = (a: EndpointAddress, b: EndpointAddress) => equalExcept(a, b, 'targetRef') && refsEqual(a.targetRef, b.targetRef);
const portEqual = (a: EndpointPort, b: EndpointPort) => (a.name ?? '') === (b.name ?? '') && equalExcept(a, b, 'name');

/** Subsets as compared by upstream: empty lists as absent, targetRef.resourceVersion ignored. */
export function subsetsEqual(a: readonly EndpointSubset[] | undefined, b: readonly EndpointSubset[] | undefined): boolean {
  return listEqual(
    a ?? [],
    b ?? [],
    (x, y) =>
      listEqual(x.addresses ?? [], y.addresses ?? [], addressEqual) &&
      listEqual(x.notReadyAddresses ?? [], y.notReadyAddresses ?? [], addressEqual) &&
      listEqual(x.ports ?? [], y.ports ?? [], portEqual),
  );
}

// ---- the sync ----

export interface EndpointsInput {
  /** The Service; undefined when it is gone (its Endpoints are then deleted). */
  service: ServiceObj | undefined;
  /** The Pods selected by the Service (see podsForService). */
  pods: readonly PodObj[];
  /** The Service's current Endpoints object, if any. */
  current?: EndpointsObj;
  /** The last-change trigger time (TriggerTimeTracker); absent removes the annotation. */
  now?: Date;
}

export type EndpointsAction =
  | { action: 'none' }
  | { action: 'create'; endpoints: EndpointsObj }
  | { action: 'update'; endpoints: EndpointsObj }
  | { action: 'delete'; endpoints: EndpointsObj };

function withoutHeadless(labels: Record<string, string> | undefined): Record<string, string> {
  const { [LABEL_HEADLESS]: _h, ...rest } = labels ?? {};
  return rest;
}

/**
 * upstream Endpoints controller syncService: what to write for one Service. No write when the
 * subsets (ignoring targetRef resourceVersions), the labels (the headless label aside) and the
 * capacity annotation are already right. The object written carries the Service's labels (plus
 * service.kubernetes.io/headless for a Service without ClusterIP), keeps other annotations, and
 * sets or clears the trigger-time and over-capacity annotations. ExternalName and selector-less
 * Services are left alone (their Endpoints belong to the user).
 */
export function reconcileEndpoints(input: EndpointsInput): EndpointsAction {
  const { service, current } = input;
  if (!service) return current ? { action: 'delete', endpoints: current } : { action: 'none' };
  if (!controllerManagesService(service)) return { action: 'none' };

  const { subsets } = computeSubsets(service, input.pods);
  const create = !current;
  if (
    current &&
    subsetsEqual(current.subsets, subsets) &&
    sameStringMap(withoutHeadless(current.metadata.labels), service.metadata.labels) &&
    capacityAnnotationSetCorrectly(current.metadata.annotations, current.subsets)
  ) {
    return { action: 'none' };
  }

  const next: EndpointsObj = current
    ? structuredClone(current)
    : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: service.metadata.name, namespace: service.metadata.namespace } };
  const annotations = { ...(next.metadata.annotations ?? {}) };
  if (input.now) annotations[ANNOTATION_TRIGGER_TIME] = formatRFC3339Nano(input.now);
  else delete annotations[ANNOTATION_TRIGGER_TIME];
  const t = truncateSubsets(subsets);
  if (t.truncated) annotations[ANNOTATION_OVER_CAPACITY] = OVER_CAPACITY_TRUNCATED;
  else delete annotations[ANNOTATION_OVER_CAPACITY];
  if (Object.keys(annotations).length) next.metadata.annotations = annotations;
  else delete next.metadata.annotations;

  const labels = { ...(service.metadata.labels ?? {}) };
  if (service.spec?.clusterIP === 'None' || !service.spec?.clusterIP) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  if (Object.keys(labels).length) next.metadata.labels = labels;
  else delete next.metadata.labels;

  if (t.subsets.length) next.subsets = t.subsets;
  else delete next.subsets;

  // Over capacity, upstream's check above never holds and it sends the same object on every sync
  // (the API server then writes nothing); skip that write here.
  if (
    current &&
    t.truncated &&
    subsetsEqual(current.subsets, next.subsets) &&
    sameStringMap(current.metadata.labels, next.metadata.labels) &&
    sameStringMap(current.metadata.annotations, next.metadata.annotations)
  ) {
    return { action: 'none' };
  }
  return create ? { action: 'create', endpoints: next } : { action: 'update', endpoints: next };
}
