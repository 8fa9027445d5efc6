// The EndpointSlice mirroring controller, its pure part: upstream
// pkg/controller/endpointslicemirroring (reconciler.go reconcile/reconcileByPortMapping/finalize,
// reconciler_helpers.go desiredCalc/recycleSlices, utils.go newEndpointSlice/addressToEndpoint,
// endpointslicemirroring_controller.go syncEndpoints/shouldMirror).
//
// A user-written Endpoints object of a Service without selector is mirrored into EndpointSlices
// managed by endpointslicemirroring-controller.k8s.io: one slice per repacked subset and address
// family, at most maxEndpointsPerSubset (default 1000) addresses per subset (ready ones first),
// invalid IPs skipped, the Endpoints' labels and annotations copied (minus the trigger-time and
// last-applied annotations), owned by the Endpoints object.
import type { EndpointAddress, EndpointPort, EndpointsObj } from '../../registry/endpoints.js';
import type { ServiceObj } from './desired.js';
import { repackSubsets } from './endpoints.js';
import {
  ANNOTATION_LAST_APPLIED,
  ANNOTATION_LEADER,
  ANNOTATION_TRIGGER_TIME,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  LABEL_SKIP_MIRROR,
  MAX_MAX_ENDPOINTS_PER_SLICE,
  MIRRORING_CONTROLLER_NAME,
  SLICE_API_VERSION,
  canonicalIP,
  controllerRef,
  endpointKey,
  endpointsEqualBeyondKey,
  hasSelector,
  portMapKey,
  sameStringMap,
  slicePrefix,
  type AddressType,
  type EndpointSliceObj,
  type SliceEndpoint,
  type SlicePort,
} from './util.js';

/** --mirroring-max-endpoints-per-subset default (allowed 1..1000). */
export const DEFAULT_MAX_ENDPOINTS_PER_SUBSET = 1000;

/** Event reasons upstream records on the Endpoints object. */
export const REASON_INVALID_IP = 'InvalidIPAddress';
export const REASON_TOO_MANY_ADDRESSES = 'TooManyAddressesToMirror';

/**
 * upstream shouldMirror: not labelled endpointslice.kubernetes.io/skip-mirror=true and not a
 * leader-election record (control-plane.alpha.kubernetes.io/leader annotation).
 */
export function shouldMirror(endpoints: EndpointsObj | undefined): endpoints is EndpointsObj {
  if (!endpoints) return false;
  if (endpoints.metadata.labels?.[LABEL_SKIP_MIRROR] === 'true') return false;
  if (Object.prototype.hasOwnProperty.call(endpoints.metadata.annotations ?? {}, ANNOTATION_LEADER)) return false;
  return true;
}

/** The label selector of the slices the mirroring controller owns for `name`. */
export function mirroredSliceLabels(name: string): Record<string, string> {
  return { [LABEL_SERVICE_NAME]: name, [LABEL_MANAGED_BY]: MIRRORING_CONTROLLER_NAME };
}

/** upstream addressToEndpoint: one canonical address, ready as given, targetRef/nodeName/hostname copied. */
export function addressToEndpoint(
  address: EndpointAddress,
  ready: boolean,
): { endpoint: SliceEndpoint; addressType: AddressType } | undefined {
  const c = canonicalIP(address.ip);
  if (!c) return undefined;
  const endpoint: SliceEndpoint = { addresses: [c.ip], conditions: { ready } };
  if (address.hostname) endpoint.hostname = address.hostname;
  if (address.targetRef) endpoint.targetRef = structuredClone(address.targetRef);
  if (address.nodeName !== undefined && address.nodeName !== null) endpoint.nodeName = address.nodeName;
  return { endpoint, addressType: c.family };
}

/** upstream epPortsToEpsPorts. */
export function endpointsPortsToSlicePorts(ports: readonly EndpointPort[] | undefined): SlicePort[] {
  return (ports ?? []).map((p) => {
    const sp: SlicePort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
    if (p.appProtocol !== undefined && p.appProtocol !== null) sp.appProtocol = p.appProtocol;
    return sp;
  });
}

function copiedAnnotations(endpoints: EndpointsObj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(endpoints.metadata.annotations ?? {})) {
    if (k === ANNOTATION_TRIGGER_TIME || k === ANNOTATION_LAST_APPLIED) continue;
    out[k] = v;
  }
  return out;
}

/** upstream newEndpointSlice (mirroring): labels and annotations from the Endpoints, owned by it. */
export function newMirroredSlice(
  endpoints: EndpointsObj,
  ports: readonly SlicePort[],
  addressType: AddressType,
  name?: string,
): EndpointSliceObj {
  const epName = endpoints.metadata.name ?? '';
  const labels: Record<string, string> = { ...(endpoints.metadata.labels ?? {}), ...mirroredSliceLabels(epName) };
  const annotations = copiedAnnotations(endpoints);
  const slice: EndpointSliceObj = {
    apiVersion: SLICE_API_VERSION,
    kind: 'EndpointSlice',
    metadata: {
      namespace: endpoints.metadata.namespace,
      labels,
      ownerReferences: [controllerRef(endpoints, 'Endpoints')],
    },
    addressType,
    endpoints: [],
    ports: ports.map((p) => ({ ...p })),
  };
  if (Object.keys(annotations).length) slice.metadata.annotations = annotations;
  if (name) slice.metadata.name = name;
  else slice.metadata.generateName = slicePrefix(epName);
  return slice;
}

export interface MirroringInput {
  /** The Endpoints object; undefined when it is gone. */
  endpoints: EndpointsObj | undefined;
  /** The Service of the same name; undefined when there is none. */
  service: ServiceObj | undefined;
  /** The slices labelled for this name and managed by the mirroring controller (mirroredSliceLabels). */
  existingSlices: readonly EndpointSliceObj[];
  /** At most this many addresses of each subset are mirrored (1..1000, default 1000). */
  maxEndpointsPerSubset?: number;
}

export interface MirroringEvent {
  type: 'Warning';
  reason: string;
  message: string;
}

export interface MirroringResult {
  create: EndpointSliceObj[];
  update: EndpointSliceObj[];
  delete: EndpointSliceObj[];
  /** Events to record on the Endpoints object (upstream's reasons and messages). */
  events: MirroringEvent[];
  /** Addresses not mirrored: invalid IPs and those beyond maxEndpointsPerSubset. */
  skippedAddresses: number;
}

interface KeyGroup {
  ports: SlicePort[];
  addressType: AddressType;
  endpoints: Map<string, SliceEndpoint>;
}

const groupKey = (t: AddressType, ports: readonly SlicePort[]) => `${t}-${portMapKey(ports)}`;

/**
 * upstream syncEndpoints + reconcile: the mirrored slices to create, update and delete. All of
 * them are deleted when the Endpoints object is gone or not to be mirrored, when there is no
 * Service, or when the Service has a selector. Otherwise each (address type, port set) gets one
 * slice; an existing slice is rewritten only when its endpoints, labels or annotations differ.
 */
export function reconcileMirroring(input: MirroringInput): MirroringResult {
  const max = input.maxEndpointsPerSubset ?? DEFAULT_MAX_ENDPOINTS_PER_SUBSET;
  if (!Number.isInteger(max) || max < 1 || max > MAX_MAX_ENDPOINTS_PER_SLICE) {
    throw new RangeError(`maxEndpointsPerSubset must be between 1 and ${MAX_MAX_ENDPOINTS_PER_SLICE}, got ${max}`);
  }
  const result: MirroringResult = { create: [], update: [], delete: [], events: [], skippedAddresses: 0 };
  const { endpoints, service } = input;
  if (!shouldMirror(endpoints) || !service || hasSelector(service.spec?.selector)) {
    result.delete = [...input.existingSlices];
    return result;
  }

  // Desired state (desiredCalc): both families get a group per subset's port set, even if empty.
  const groups = new Map<string, KeyGroup>();
  let invalid = 0;
  for (const subset of repackSubsets(endpoints.subsets)) {
    const ports = endpointsPortsToSlicePorts(subset.ports);
    const keys = {} as Record<AddressType, string>;
    for (const t of ['IPv4', 'IPv6'] as AddressType[]) {
      keys[t] = groupKey(t, ports);
      if (!groups.has(keys[t])) groups.set(keys[t], { ports, addressType: t, endpoints: new Map() });
      else groups.get(keys[t])!.ports = ports;
    }
    const total = (subset.addresses ?? []).length + (subset.notReadyAddresses ?? []).length;
    let added = 0;
    const take = (list: readonly EndpointAddress[] | undefined, ready: boolean) => {
      for (const a of list ?? []) {
        if (added >= max) break;
        const r = addressToEndpoint(a, ready);
        if (!r) {
          invalid++;
          continue;
        }
        groups.get(keys[r.addressType])!.endpoints.set(endpointKey(r.endpoint), r.endpoint);
        added++;
      }
    };
    take(subset.addresses, true);
    take(subset.notReadyAddresses, false);
    result.skippedAddresses += total - added;
  }
  if (invalid > 0) {
    result.events.push({
      type: 'Warning',
      reason: REASON_INVALID_IP,
      message: `Skipped ${invalid} invalid IP addresses when mirroring to EndpointSlices`,
    });
  }
  if (result.skippedAddresses > invalid) {
    result.events.push({
      type: 'Warning',
      reason: REASON_TOO_MANY_ADDRESSES,
      message: `A max of ${max} addresses can be mirrored to EndpointSlices per Endpoints subset. ${result.skippedAddresses} addresses were skipped`,
    });
  }

  // Existing state by (address type, port set).
  const existingByKey = new Map<string, EndpointSliceObj[]>();
  for (const s of input.existingSlices) {
    const k = groupKey((s.addressType ?? '') as AddressType, s.ports ?? []);
    const list = existingByKey.get(k);
    if (list) list.push(s);
    else existingByKey.set(k, [s]);
  }

  const wantAnnotations = copiedAnnotations(endpoints);
  for (const [key, g] of groups) {
    const existing = existingByKey.get(key) ?? [];
    if (!g.endpoints.size) {
      result.delete.push(...existing);
      continue;
    }
    if (existing.length) {
      result.delete.push(...existing.slice(1));
      const first = existing[0]!;
      const { [LABEL_MANAGED_BY]: _m, [LABEL_SERVICE_NAME]: _s, ...firstLabels } = first.metadata.labels ?? {};
      if (
        sameEndpoints(first, g.endpoints) &&
        sameStringMap(endpoints.metadata.labels, firstLabels) &&
        sameStringMap(wantAnnotations, first.metadata.annotations)
      ) {
        continue;
      }
    }
    const slice = newMirroredSlice(endpoints, g.ports, g.addressType, existing[0]?.metadata.name);
    for (const ep of g.endpoints.values()) {
      if (slice.endpoints!.length >= max) break;
      slice.endpoints!.push(ep);
    }
    if (slice.metadata.name) result.update.push(slice);
    else result.create.push(slice);
  }
  for (const [key, slices] of existingByKey) if (!groups.has(key)) result.delete.push(...slices);

  // recycleSlices: a create and a delete of the same address type become an update.
  for (const t of ['IPv4', 'IPv6']) {
    const creates = result.create.filter((s) => s.addressType === t);
    const deletes = result.delete.filter((s) => s.addressType === t);
    for (let i = 0; i < creates.length && i < deletes.length; i++) {
      const c = creates[i]!;
      c.metadata.name = deletes[i]!.metadata.name;
      result.create.splice(result.create.indexOf(c), 1);
      result.delete.splice(result.delete.indexOf(deletes[i]!), 1);
      result.update.push(c);
    }
  }
  if (endpoints.metadata.deletionTimestamp) result.create = [];
  return result;
}

/** upstream totalChanges == 0: the slice holds exactly the desired endpoints, each unchanged. */
function sameEndpoints(slice: EndpointSliceObj, desired: Map<string, SliceEndpoint>): boolean {
  let matches = 0;
  for (const ep of slice.endpoints ?? []) {
    const got = desired.get(endpointKey(ep));
    if (!got || !endpointsEqualBeyondKey(got, ep)) return false;
    matches++;
  }
  return matches === desired.size;
}
