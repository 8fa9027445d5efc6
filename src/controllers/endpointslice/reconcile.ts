// The EndpointSlice reconciler, as a pure function: upstream staging/src/k8s.io/endpointslice
// reconciler.go (Reconcile, reconcileByAddressType, reconcileByPortMapping, finalize), utils.go
// (newEndpointSlice, setEndpointSliceLabels, getSliceToFill, ownedBy) and trafficdist
// (ReconcileHints for trafficDistribution) plus topologycache.RemoveHintsFromSlices.
//
// Given a Service, its Pods, the Nodes' labels and the slices this controller already manages for
// the Service, it says which slices to create, update and delete. Churn is kept low as upstream
// keeps it: an endpoint stays in the slice it is in while it is still wanted; a slice is written
// only when one of its endpoints (by identity, conditions, node, zone, targetRef), its labels or
// its hints must change; new endpoints first fill slices that are being written anyway (fullest
// first), then the one untouched slice they fit best, and only then new slices of up to
// maxEndpointsPerSlice. Each address type and each distinct resolved port set gets its own slices;
// an address type with no endpoints keeps one placeholder slice without endpoints or ports.
import type { OwnerReference } from '../../apimachinery/types.js';
import type { PodObj, ServiceObj } from './desired.js';
import { addressTypesForService, endpointPortsFor, podToEndpoint, shouldPodBeInEndpoints } from './desired.js';
import {
  ANNOTATION_TOPOLOGY_AWARE_HINTS,
  ANNOTATION_TOPOLOGY_MODE,
  DEFAULT_MAX_ENDPOINTS_PER_SLICE,
  ENDPOINTSLICE_CONTROLLER_NAME,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  MAX_MAX_ENDPOINTS_PER_SLICE,
  SLICE_API_VERSION,
  controllerRef,
  copySlice,
  endpointKey,
  endpointsEqualBeyondKey,
  nodeLabelsOf,
  portMapKey,
  sameStringMap,
  setTriggerTime,
  slicePrefix,
  type AddressType,
  type EndpointSliceObj,
  type NodeLabels,
  type SliceEndpoint,
  type SlicePort,
} from './util.js';

export interface ReconcileInput {
  service: ServiceObj;
  /** The Pods selected by the Service (same namespace, matching selector): see podsForService. */
  pods: readonly PodObj[];
  /** Labels of every known Node by name; a Pod on a Node not listed here is skipped (see result). */
  nodes: NodeLabels;
  /**
   * The slices labelled `kubernetes.io/service-name=<service>` and managed-by this controller.
   * Slices with a deletionTimestamp are ignored, as upstream drops them before reconciling.
   * Never modified.
   */
  existingSlices: readonly EndpointSliceObj[];
  /** --max-endpoints-per-slice: 1..1000, default 100. */
  maxEndpointsPerSlice?: number;
  /** Address types to serve; default from spec.ipFamilies (upstream getAddressTypesForService). */
  addressTypes?: readonly AddressType[];
  /** managed-by label value; default endpointslice-controller.k8s.io. */
  controllerName?: string;
  /**
   * The last-change trigger time written to endpoints.kubernetes.io/last-change-trigger-time on
   * every slice created or updated (see TriggerTimeTracker for upstream's value). Absent: the
   * annotation is removed from the slices written, as upstream does for a zero trigger time.
   */
  now?: Date;
  /**
   * Accept trafficDistribution PreferSameZone and PreferSameNode (upstream's
   * PreferSameTrafficDistribution gate, off in v1.32, whose API accepts only PreferClose).
   */
  preferSameTrafficDistribution?: boolean;
}

export interface ReconcileResult {
  /** New slices (metadata.generateName set, no name). Empty while the Service is being deleted. */
  create: EndpointSliceObj[];
  /** Changed slices: copies of existing ones (resourceVersion kept) or recycled ones (name only). */
  update: EndpointSliceObj[];
  /** Slices to delete (as they were given). */
  delete: EndpointSliceObj[];
  /**
   * Pods left out because their spec.nodeName is not a known Node (upstream logs this, returns an
   * error so the Service is retried later, and still writes the slices without them).
   */
  podsOnUnknownNodes: string[];
}

const TRAFFIC_PREFER_CLOSE = 'PreferClose';
const TRAFFIC_PREFER_SAME_ZONE = 'PreferSameZone';
const TRAFFIC_PREFER_SAME_NODE = 'PreferSameNode';

/** upstream ownedBy: an ownerReference to this Service (uid, kind Service, apiVersion v1). */
export function ownedBy(slice: EndpointSliceObj, service: ServiceObj): boolean {
  return (slice.metadata.ownerReferences ?? []).some(
    (o) => o.uid === service.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1',
  );
}

/** upstream isServiceIPSet: clusterIP neither None nor empty. */
function isServiceIPSet(service: ServiceObj): boolean {
  const c = service.spec?.clusterIP;
  return !!c && c !== 'None';
}

const RESERVED_LABELS = new Set([LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS]);

/**
 * upstream setEndpointSliceLabels: the slice's labels are the Service's own labels (minus the
 * three reserved keys), plus service.kubernetes.io/headless for a Service without ClusterIP, the
 * service-name and managed-by labels. `changed` compares only the non-reserved labels, as
 * upstream does.
 */
export function sliceLabels(
  slice: EndpointSliceObj | undefined,
  service: ServiceObj,
  controllerName: string,
): { labels: Record<string, string>; changed: boolean } {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice?.metadata.labels ?? {})) if (!RESERVED_LABELS.has(k)) own[k] = v;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {})) if (!RESERVED_LABELS.has(k)) labels[k] = v;
  const changed = !sameStringMap(own, labels);
  if (!isServiceIPSet(service)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = service.metadata.name ?? '';
  labels[LABEL_MANAGED_BY] = controllerName;
  return { labels, changed };
}

/** upstream newEndpointSlice: generateName `<service>-`, controller ownerReference, labels. */
export function newEndpointSlice(
  service: ServiceObj,
  ports: readonly SlicePort[],
  addressType: AddressType,
  controllerName: string,
): EndpointSliceObj {
  const ownerReferences: OwnerReference[] = [controllerRef(service, 'Service')];
  return {
    apiVersion: SLICE_API_VERSION,
    kind: 'EndpointSlice',
    metadata: {
      generateName: slicePrefix(service.metadata.name ?? ''),
      namespace: service.metadata.namespace,
      labels: sliceLabels(undefined, service, controllerName).labels,
      ownerReferences,
    },
    addressType,
    endpoints: [],
    ports: ports.map((p) => ({ ...p })),
  };
}

/**
 * upstream placeholderSliceCompare: an existing slice stands for the wanted placeholder when the
 * namespace and labels match and it has the same address type, no endpoints and no ports (other
 * metadata, owner references included, is not compared).
 */
function isSamePlaceholder(existing: EndpointSliceObj, wanted: EndpointSliceObj): boolean {
  return (
    (existing.metadata.namespace ?? '') === (wanted.metadata.namespace ?? '') &&
    sameStringMap(existing.metadata.labels, wanted.metadata.labels) &&
    existing.addressType === wanted.addressType &&
    !(existing.endpoints ?? []).length &&
    !(existing.ports ?? []).length
  );
}

/** upstream getSliceToFill: the slice that ends up closest to full with n more endpoints. */
function sliceToFill(slices: EndpointSliceObj[], n: number, max: number): EndpointSliceObj | undefined {
  let closestDiff = max;
  let closest: EndpointSliceObj | undefined;
  for (const s of slices) {
    const diff = max - (n + (s.endpoints ?? []).length);
    if (diff >= 0 && diff < closestDiff) {
      closestDiff = diff;
      closest = s;
      if (diff === 0) return s;
    }
  }
  return closest;
}

/** Takes the first endpoint of the desired set (upstream PopAny; here in Pod order). */
function popFirst(set: Map<string, SliceEndpoint>): SliceEndpoint {
  const [k, v] = set.entries().next().value as [string, SliceEndpoint];
  set.delete(k);
  return v;
}

interface Changes {
  create: EndpointSliceObj[];
  update: EndpointSliceObj[];
  delete: EndpointSliceObj[];
}

/** upstream reconcileByPortMapping: the slices of one address type and one port set. */
function reconcileByPortMapping(
  service: ServiceObj,
  existing: readonly EndpointSliceObj[],
  desired: Map<string, SliceEndpoint>,
  ports: readonly SlicePort[],
  addressType: AddressType,
  max: number,
  controllerName: string,
): Changes {
  const byName = new Map<string, EndpointSliceObj>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  // 1. Keep the endpoints still wanted where they are; drop the others; note changed ones.
  for (const ex of existing) {
    const name = ex.metadata.name ?? '';
    byName.set(name, ex);
    const kept: SliceEndpoint[] = [];
    let endpointChanged = false;
    for (const ep of ex.endpoints ?? []) {
      const key = endpointKey(ep);
      const got = desired.get(key);
      if (!got) continue;
      kept.push(got);
      if (!endpointsEqualBeyondKey(got, ep)) endpointChanged = true;
      desired.delete(key);
    }
    const { labels, changed: labelsChanged } = sliceLabels(ex, service, controllerName);
    if (endpointChanged || (ex.endpoints ?? []).length !== kept.length) {
      if (!kept.length) {
        toDelete.add(name);
      } else {
        const c = copySlice(ex);
        c.endpoints = kept;
        c.metadata.labels = labels;
        byName.set(name, c);
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      const c = copySlice(ex);
      c.metadata.labels = labels;
      byName.set(name, c);
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  // 2. Fill the slices that are written anyway, fullest first.
  if (desired.size && toUpdate.size) {
    const slices = [...toUpdate].map((n) => byName.get(n)!);
    slices.sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length);
    for (const s of slices) {
      s.endpoints ??= [];
      while (desired.size && s.endpoints.length < max) s.endpoints.push(popFirst(desired));
    }
  }

  // 3. The rest: into the untouched slice they fit best (when less than a slice is left), else new slices.
  const create: EndpointSliceObj[] = [];
  while (desired.size) {
    let fill: EndpointSliceObj | undefined;
    if (desired.size < max && unchanged.size) {
      fill = sliceToFill(
        [...unchanged].map((n) => byName.get(n)!),
        desired.size,
        max,
      );
    }
    if (!fill) {
      fill = newEndpointSlice(service, ports, addressType, controllerName);
    } else {
      fill = copySlice(fill);
      byName.set(fill.metadata.name!, fill);
    }
    fill.endpoints ??= [];
    while (desired.size && fill.endpoints.length < max) fill.endpoints.push(popFirst(desired));
    if (fill.metadata.name) {
      toUpdate.add(fill.metadata.name);
      unchanged.delete(fill.metadata.name);
    } else {
      create.push(fill);
    }
  }

  return {
    create,
    update: [...toUpdate].map((n) => byName.get(n)!),
    delete: [...toDelete].map((n) => byName.get(n)!),
  };
}

/** upstream hintsEnabled: the topology-mode annotation (or its deprecated form) says Auto. */
export function topologyHintsAnnotated(annotations: Record<string, string> | undefined): boolean {
  const a = annotations ?? {};
  let v = a[ANNOTATION_TOPOLOGY_AWARE_HINTS];
  if (v === undefined) v = a[ANNOTATION_TOPOLOGY_MODE];
  return v === 'Auto' || v === 'auto';
}

/** upstream validTrafficDistribution. */
function validTrafficDistribution(td: string | undefined, preferSame: boolean): boolean {
  if (td === TRAFFIC_PREFER_CLOSE) return true;
  return preferSame && (td === TRAFFIC_PREFER_SAME_ZONE || td === TRAFFIC_PREFER_SAME_NODE);
}

const isReady = (ep: SliceEndpoint) => ep.conditions?.ready === true;
/** EndpointHints with forNodes (v1.33's PreferSameNode): not a field of the v1.32 API, so no generated type has it. */
type Hints = NonNullable<SliceEndpoint['hints']> & { forNodes?: { name: string }[] };
const hasHints = (ep: SliceEndpoint) => ep.hints !== undefined && ep.hints !== null;

/** trafficdist preferCloseHeuristic.needsUpdate: a ready endpoint's hint is missing, wrong or stale. */
function hintsNeedUpdate(slice: EndpointSliceObj, nodeHints: boolean): boolean {
  for (const ep of slice.endpoints ?? []) {
    if (!isReady(ep)) continue;
    const zones = ep.hints?.forZones ?? [];
    if (ep.zone) {
      if (zones.length !== 1 || zones[0]!.name !== ep.zone) return true;
    } else if (zones.length) {
      return true;
    }
    const nodes = (ep.hints as Hints | undefined)?.forNodes ?? [];
    if (ep.nodeName && nodeHints) {
      if (nodes.length !== 1 || nodes[0]!.name !== ep.nodeName) return true;
    } else if (nodes.length) {
      return true;
    }
  }
  return false;
}

/** trafficdist preferCloseHeuristic.update: each ready endpoint hints its own zone (and node). */
function applyHints(slice: EndpointSliceObj, nodeHints: boolean): void {
  for (const ep of slice.endpoints ?? []) {
    if (!isReady(ep)) continue;
    const hints: Hints = {};
    if (ep.zone) hints.forZones = [{ name: ep.zone }];
    if (ep.nodeName && nodeHints) hints.forNodes = [{ name: ep.nodeName }];
    if (hints.forZones || hints.forNodes) ep.hints = hints;
    else delete ep.hints;
  }
}

/** upstream unchangedSlices: the existing slices neither updated nor deleted. */
function unchangedSlices(existing: readonly EndpointSliceObj[], changes: Changes): EndpointSliceObj[] {
  const changed = new Set([...changes.update, ...changes.delete].map((s) => s.metadata.name));
  return existing.filter((s) => !changed.has(s.metadata.name));
}

/**
 * Hints for one address type. With a usable trafficDistribution (PreferClose), upstream's
 * trafficdist.ReconcileHints: unchanged slices whose hints are off are updated, and every written
 * slice gets same-zone hints. Otherwise topologycache.RemoveHintsFromSlices: hints are dropped
 * from written slices, and unchanged slices that carry hints are updated to drop them.
 */
function reconcileHints(service: ServiceObj, existing: readonly EndpointSliceObj[], changes: Changes, preferSame: boolean): void {
  const td = service.spec?.trafficDistribution;
  const useTD = validTrafficDistribution(td, preferSame) && !topologyHintsAnnotated(service.metadata.annotations);
  const unchanged = unchangedSlices(existing, changes);
  if (!useTD) {
    for (const s of [...changes.create, ...changes.update]) for (const ep of s.endpoints ?? []) delete ep.hints;
    for (const s of unchanged) {
      if (!(s.endpoints ?? []).some(hasHints)) continue;
      const c = copySlice(s);
      for (const ep of c.endpoints ?? []) delete ep.hints;
      changes.update.push(c);
    }
    return;
  }
  const nodeHints = td === TRAFFIC_PREFER_SAME_NODE;
  for (const s of unchanged) if (hintsNeedUpdate(s, nodeHints)) changes.update.push(copySlice(s));
  for (const s of [...changes.create, ...changes.update]) applyHints(s, nodeHints);
}

/**
 * upstream finalize (the API calls aside): a slice to create and a slice of the same address type
 * to delete become one update of the deleted slice's name; nothing is created while the Service
 * is being deleted; written slices get (or lose) the trigger-time annotation.
 */
function finalize(service: ServiceObj, changes: Changes, now: Date | undefined): void {
  const { create, update } = changes;
  const del = changes.delete;
  for (let i = 0; i < del.length;) {
    if (!create.length) break;
    const gone = del[i]!;
    const slice = create[create.length - 1]!;
    if (gone.addressType === slice.addressType && ownedBy(gone, service)) {
      slice.metadata.name = gone.metadata.name;
      create.pop();
      update.push(slice);
      del.splice(i, 1);
    } else {
      i++;
    }
  }
  if (service.metadata.deletionTimestamp) create.length = 0;
  for (const s of [...create, ...update]) setTriggerTime(s.metadata, now);
}

/** upstream reconcileByAddressType. */
function reconcileByAddressType(
  input: ReconcileInput,
  existing: readonly EndpointSliceObj[],
  addressType: AddressType,
  max: number,
  controllerName: string,
  unknownNodes: Set<string>,
): Changes {
  const { service } = input;
  const changes: Changes = { create: [], update: [], delete: [] };

  const existingByKey = new Map<string, EndpointSliceObj[]>();
  for (const s of existing) {
    if (!ownedBy(s, service)) {
      changes.delete.push(s);
      continue;
    }
    const key = portMapKey(s.ports);
    const list = existingByKey.get(key);
    if (list) list.push(s);
    else existingByKey.set(key, [s]);
  }

  const desiredByKey = new Map<string, { ports: SlicePort[]; endpoints: Map<string, SliceEndpoint> }>();
  const publishNotReady = !!service.spec?.publishNotReadyAddresses;
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPortsFor(service, pod);
    const key = portMapKey(ports);
    let group = desiredByKey.get(key);
    if (!group) {
      group = { ports, endpoints: new Map() };
      desiredByKey.set(key, group);
    }
    const labels = nodeLabelsOf(input.nodes, pod.spec?.nodeName ?? '');
    if (labels === undefined && !publishNotReady) {
      unknownNodes.add(pod.metadata.name ?? '');
      continue;
    }
    const ep = podToEndpoint(pod, service, addressType, labels);
    if (ep.addresses.length) group.endpoints.set(endpointKey(ep), ep);
  }

  for (const [key, group] of desiredByKey) {
    const r = reconcileByPortMapping(service, existingByKey.get(key) ?? [], group.endpoints, group.ports, addressType, max, controllerName);
    changes.create.push(...r.create);
    changes.update.push(...r.update);
    changes.delete.push(...r.delete);
  }
  for (const [key, slices] of existingByKey) if (!desiredByKey.has(key)) changes.delete.push(...slices);

  // No slice would be left: keep (or create) the placeholder.
  if (existing.length === changes.delete.length && changes.create.length < 1) {
    const placeholder = newEndpointSlice(service, [], addressType, controllerName);
    if (changes.delete.length === 1 && isSamePlaceholder(changes.delete[0]!, placeholder)) changes.delete.length = 0;
    else changes.create.push(placeholder);
  }

  reconcileHints(service, existing, changes, !!input.preferSameTrafficDistribution);
  finalize(service, changes, input.now);
  return changes;
}

/**
 * upstream Reconciler.Reconcile: the slices to create, update and delete so that the Service's
 * endpoints are exactly represented. Nothing in the input is modified; an unchanged input
 * produces no writes.
 */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const max = input.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
  if (!Number.isInteger(max) || max < 1 || max > MAX_MAX_ENDPOINTS_PER_SLICE) {
    throw new RangeError(`maxEndpointsPerSlice must be between 1 and ${MAX_MAX_ENDPOINTS_PER_SLICE}, got ${max}`);
  }
  const controllerName = input.controllerName ?? ENDPOINTSLICE_CONTROLLER_NAME;
  const types: AddressType[] = [];
  for (const t of input.addressTypes ?? addressTypesForService(input.service)) if (!types.includes(t)) types.push(t);

  const byType = new Map<string, EndpointSliceObj[]>();
  const unsupported: EndpointSliceObj[] = [];
  for (const s of input.existingSlices) {
    if (s.metadata.deletionTimestamp) continue;
    const t = s.addressType ?? '';
    if (!types.includes(t as AddressType)) {
      unsupported.push(s);
      continue;
    }
    const list = byType.get(t);
    if (list) list.push(s);
    else byType.set(t, [s]);
  }

  const result: ReconcileResult = { create: [], update: [], delete: [], podsOnUnknownNodes: [] };
  const unknownNodes = new Set<string>();
  for (const t of types) {
    const c = reconcileByAddressType(input, byType.get(t) ?? [], t, max, controllerName, unknownNodes);
    result.create.push(...c.create);
    result.update.push(...c.update);
    result.delete.push(...c.delete);
  }
  result.delete.push(...unsupported);
  result.podsOnUnknownNodes = [...unknownNodes];
  return result;
}

/** Whether a result writes nothing. */
export function isNoop(r: Pick<ReconcileResult, 'create' | 'update' | 'delete'>): boolean {
  return !r.create.length && !r.update.length && !r.delete.length;
}
