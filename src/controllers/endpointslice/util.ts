// Shared pieces of the EndpointSlice, Endpoints and mirroring computations: the well-known label
// and annotation keys, IP canonicalisation (upstream parses and re-prints every Pod IP with
// ParseIPSloppy + String), endpoint identity (upstream's endpoint hash: sorted addresses, hostname,
// targetRef namespace/name), port-set identity (upstream's PortMapKey: the ports as a set, so
// their order never matters) and the "equal beyond identity" comparison that decides whether a
// kept endpoint forces a slice write.
import type { EndpointSliceObj, SliceEndpoint, SlicePort } from '../../registry/endpointslice.js';
import type { OwnerReference } from '../../apimachinery/types.js';
import { parseIP, formatIP } from '../../apimachinery/ipnet.js';
import { deepEqual } from '../../apimachinery/meta.js';
import { nameIsDNSSubdomain } from '../../apimachinery/validation.js';

export type { EndpointSliceObj, SliceEndpoint, SlicePort };

/** discovery.k8s.io/v1 LabelServiceName */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** discovery.k8s.io/v1 LabelManagedBy */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** discovery.k8s.io/v1 LabelSkipMirror */
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
/** core/v1 IsHeadlessService */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
/** core/v1 LabelTopologyZone */
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
/** core/v1 EndpointsLastChangeTriggerTime */
export const ANNOTATION_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** core/v1 EndpointsOverCapacity */
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
/** core/v1 LastAppliedConfigAnnotation (kubectl apply) */
export const ANNOTATION_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** client-go resourcelock.LeaderElectionRecordAnnotationKey */
export const ANNOTATION_LEADER = 'control-plane.alpha.kubernetes.io/leader';
/** core/v1 AnnotationTopologyMode and its deprecated predecessor (topology aware hints). */
export const ANNOTATION_TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode';
export const ANNOTATION_TOPOLOGY_AWARE_HINTS = 'service.kubernetes.io/topology-aware-hints';

/** kube-controller-manager's EndpointSlice controller (managed-by value). */
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** kube-controller-manager's EndpointSlice mirroring controller (managed-by value). */
export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';

/** --max-endpoints-per-slice default and bounds. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;
export const MAX_MAX_ENDPOINTS_PER_SLICE = 1000;

export type AddressType = 'IPv4' | 'IPv6';

export const SLICE_API_VERSION = 'discovery.k8s.io/v1';

/**
 * upstream netutils.ParseIPSloppy + net.IP.String: the canonical text of an IP and its family,
 * undefined when it does not parse. IPv4 octets may carry leading zeros (read as decimal, as
 * ParseIPSloppy does); an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is IPv4, as Go prints and
 * classifies it. Zones (fe80::1%eth0) do not parse, as in Go.
 */
export function canonicalIP(text: string): { ip: string; family: AddressType } | undefined {
  // Every reconcile of a Service looks at each of its Pods' IPs: remember the answers.
  let hit = canonicalCache.get(text);
  if (hit === undefined) {
    if (canonicalCache.size >= CANONICAL_CACHE_MAX) canonicalCache.clear();
    canonicalCache.set(text, (hit = parseCanonicalIP(text) ?? null));
  }
  return hit ?? undefined;
}

const CANONICAL_CACHE_MAX = 200_000;
const canonicalCache = new Map<string, { ip: string; family: AddressType } | null>();

function parseCanonicalIP(text: string): { ip: string; family: AddressType } | undefined {
  if (typeof text !== 'string' || !text || text.includes('%')) return undefined;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const o = v4.slice(1).map((x) => parseInt(x, 10));
    if (o.some((x) => x > 255)) return undefined;
    return { ip: o.join('.'), family: 'IPv4' };
  }
  if (!text.includes(':')) return undefined;
  const p = parseIP(text);
  if (!p || p.family !== 6) return undefined;
  if (p.value >> 32n === 0xffffn) return { ip: formatIP(4, p.value & 0xffffffffn), family: 'IPv4' };
  return { ip: formatIP(6, p.value), family: 'IPv6' };
}

/** upstream utilnet.IsIPv6String: a string that parses and is not IPv4 (nor IPv4-mapped). */
export function isIPv6String(text: string | undefined): boolean {
  return !!text && canonicalIP(text)?.family === 'IPv6';
}

/**
 * upstream hashEndpoint: what makes two endpoints "the same" endpoint, so that condition, node,
 * zone or targetRef changes are applied in place instead of as a remove plus an add.
 */
export function endpointKey(ep: SliceEndpoint): string {
  const a = ep.addresses ?? [];
  const addrs = a.length === 1 ? a[0] : [...a].sort().join('\u0001');
  const ref = ep.targetRef;
  // NUL cannot occur in an address, a hostname or a name: the parts cannot run together.
  return `${addrs}\u0000${ep.hostname ?? ''}\u0000${ref?.namespace ?? ''}\u0000${ref?.name ?? ''}`;
}

/** The port as the API stores it: name and protocol defaulted ('' and TCP), appProtocol kept. */
export function normalizePort(p: SlicePort): SlicePort {
  const out: SlicePort = { name: p.name ?? '', protocol: p.protocol ?? 'TCP' };
  if (p.port !== undefined && p.port !== null) out.port = p.port;
  if (p.appProtocol !== undefined && p.appProtocol !== null) out.appProtocol = p.appProtocol;
  return out;
}

/** upstream NewPortMapKey: a set of ports (nil and empty are the same, order is irrelevant). */
export function portMapKey(ports: readonly SlicePort[] | undefined | null): string {
  const items = (ports ?? []).map((p) => {
    const n = normalizePort(p);
    return JSON.stringify([n.name, n.protocol, n.port ?? null, n.appProtocol ?? null]);
  });
  items.sort();
  return `[${items.join(',')}]`;
}

/**
 * deepEqual of two plain objects that ignores the key `skip`. Written out rather than comparing
 * copies made with object rest (`{ skip, ...rest }`): V8 runs rest/spread through a slow generic
 * path, and these comparisons run for every endpoint of a Service on every reconcile.
 */
export function equalExcept(a: object, b: object, skip: string): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  // As deepEqual: a key whose value is undefined counts as absent.
  for (const k in x) {
    if (k === skip || x[k] === undefined) continue;
    n++;
    if (!deepEqual(x[k], y[k])) return false;
  }
  for (const k in y) if (k !== skip && y[k] !== undefined) n--;
  return n === 0;
}

/** Object references compared as upstream does: resourceVersion ignored. */
export function refsEqual(a: unknown, b: unknown): boolean {
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return deepEqual(a ?? undefined, b ?? undefined);
  return equalExcept(a, b, 'resourceVersion');
}

/** upstream EndpointsEqualBeyondHash: nodeName, zone, the three conditions, targetRef (sans resourceVersion). */
export function endpointsEqualBeyondKey(a: SliceEndpoint, b: SliceEndpoint): boolean {
  const same = (x: unknown, y: unknown) => (x ?? undefined) === (y ?? undefined);
  if (!same(a.nodeName, b.nodeName) || !same(a.zone, b.zone)) return false;
  const ca = a.conditions ?? {};
  const cb = b.conditions ?? {};
  if (!same(ca.ready, cb.ready) || !same(ca.serving, cb.serving) || !same(ca.terminating, cb.terminating)) return false;
  return refsEqual(a.targetRef, b.targetRef);
}

/** Go's time.RFC3339Nano in UTC: fraction without trailing zeros, none when whole seconds. */
export function formatRFC3339Nano(d: Date): string {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const [main, frac] = iso.slice(0, -1).split('.') as [string, string | undefined];
  const f = (frac ?? '').replace(/0+$/, '');
  return f ? `${main}.${f}Z` : `${main}Z`;
}

/** upstream getEndpointSlicePrefix: `<name>-` unless that is no valid generateName prefix. */
export function slicePrefix(name: string): string {
  const prefix = `${name}-`;
  return nameIsDNSSubdomain(prefix, true).length ? name : prefix;
}

/** metav1.NewControllerRef for a core/v1 owner. */
export function controllerRef(owner: { metadata: { name?: string; uid?: string } }, kind: string): OwnerReference {
  return {
    apiVersion: 'v1',
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * A selector that selects: upstream tests `spec.selector == nil`. An empty map does not survive
 * upstream's storage round trip (omitempty), so `{}` counts as no selector here too.
 */
export function hasSelector(selector: Record<string, string> | undefined | null): selector is Record<string, string> {
  return !!selector && Object.keys(selector).length > 0;
}

/** Semantic equality of string maps: nil and empty are the same. */
export function sameStringMap(a: Record<string, string> | undefined | null, b: Record<string, string> | undefined | null): boolean {
  return deepEqual(a ?? {}, b ?? {});
}

/** Node labels by node name: a Map or a plain record. A name that is absent means "no such Node". */
export type NodeLabels =
  | ReadonlyMap<string, Readonly<Record<string, string>> | undefined>
  | Readonly<Record<string, Readonly<Record<string, string>> | undefined>>;

export function nodeLabelsOf(nodes: NodeLabels, name: string): Readonly<Record<string, string>> | undefined {
  if (!name) return undefined;
  if (nodes instanceof Map) return nodes.has(name) ? (nodes.get(name) ?? {}) : undefined;
  const rec = nodes as Readonly<Record<string, Readonly<Record<string, string>> | undefined>>;
  return Object.prototype.hasOwnProperty.call(rec, name) ? (rec[name] ?? {}) : undefined;
}

/** A deep copy, as upstream's DeepCopy before touching an informer object. */
export function copySlice(s: EndpointSliceObj): EndpointSliceObj {
  return structuredClone(s);
}

/** Sets (or, for no time, removes) the trigger-time annotation, dropping an emptied map. */
export function setTriggerTime(meta: { annotations?: Record<string, string> }, when: Date | undefined): void {
  const ann = { ...(meta.annotations ?? {}) };
  if (when) ann[ANNOTATION_TRIGGER_TIME] = formatRFC3339Nano(when);
  else delete ann[ANNOTATION_TRIGGER_TIME];
  if (Object.keys(ann).length) meta.annotations = ann;
  else delete meta.annotations;
}
