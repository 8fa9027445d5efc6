// Which backends a Service port sends traffic to, from its EndpointSlices, as upstream kube-proxy
// decides it: pkg/proxy/endpointslicecache.go (endpoints of one port name and protocol from every
// slice of the Service, one address family, the first address of each endpoint, deduplicated by
// address:port preferring the local copy, nil ready/serving read as true) and pkg/proxy/topology.go
// (CategorizeEndpoints: Ready endpoints, else serving-and-terminating ones, zone hints, and the
// Local traffic policies). Pure functions: the proxy calls them on every Service or slice change.
import type { EndpointSliceObj, SliceEndpoint, SlicePort } from '../registry/endpointslice.js';
import type { ServiceObj, ServicePort } from '../registry/service/strategy.js';

export type Family = 4 | 6;

export interface Endpoint {
  ip: string;
  port: number;
  /** `ip:port` (`[ip]:port` for IPv6): the identity upstream deduplicates and sorts by. */
  key: string;
  nodeName: string;
  zone: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On this node (nodeName equals the proxy's node name). */
  local: boolean;
  /** Zone hints (hints.forZones); empty when the endpoint has none. */
  zoneHints: ReadonlySet<string>;
}

export interface NodeInfo {
  name: string;
  zone?: string;
}

export const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The facts about a Service that decide between Cluster and Local endpoints (upstream BaseServicePortInfo). */
export interface TrafficPolicy {
  /** NodePort, LoadBalancer, or ClusterIP with externalIPs: reachable from outside the cluster. */
  externallyAccessible: boolean;
  internalLocal: boolean;
  externalLocal: boolean;
  usesClusterEndpoints: boolean;
  usesLocalEndpoints: boolean;
}

export function trafficPolicy(svc: ServiceObj): TrafficPolicy {
  const s = svc.spec ?? {};
  const externallyAccessible =
    s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && (s.externalIPs?.length ?? 0) > 0);
  const internalLocal = s.internalTrafficPolicy === 'Local';
  const externalLocal = externallyAccessible && s.externalTrafficPolicy === 'Local';
  return {
    externallyAccessible,
    internalLocal,
    externalLocal,
    // Cluster endpoints are needed unless every kind of traffic the Service gets is Local.
    usesClusterEndpoints: !internalLocal || (externallyAccessible && !externalLocal),
    usesLocalEndpoints: internalLocal || externalLocal,
  };
}

const addressTypeOf = (f: Family) => (f === 6 ? 'IPv6' : 'IPv4');
const isV6 = (ip: string) => ip.includes(':');

/** The API defaults a slice port's name to '' and its protocol to TCP; read absent ones the same way. */
const portName = (p: { name?: string }) => p.name ?? '';
const portProtocol = (p: { protocol?: string }) => p.protocol || 'TCP';

function toEndpoint(ep: SliceEndpoint, port: number, node: NodeInfo): Endpoint {
  const ip = ep.addresses[0]!;
  const c = ep.conditions ?? {};
  const nodeName = ep.nodeName ?? '';
  const zones = ep.hints?.forZones ?? [];
  return {
    ip,
    port,
    key: hostPort(ip, port),
    nodeName,
    zone: ep.zone ?? '',
    // upstream: a nil ready or serving condition means true, a nil terminating false.
    ready: c.ready ?? true,
    serving: c.serving ?? true,
    terminating: c.terminating ?? false,
    local: !!node.name && nodeName === node.name,
    zoneHints: new Set(zones.map((z) => z.name)),
  };
}

/**
 * The endpoints of one Service port (matched by port name and protocol, as the slice ports are
 * named after the Service ports) from all its slices of one address family, deduplicated by
 * address:port (a local copy wins) and sorted by that key. Slices of the other family and FQDN
 * slices are ignored, as are ports without a number.
 */
export function portEndpoints(
  slices: readonly EndpointSliceObj[],
  sp: Pick<ServicePort, 'name' | 'protocol'>,
  family: Family,
  node: NodeInfo,
): Endpoint[] {
  const name = portName(sp);
  const protocol = portProtocol(sp);
  const byKey = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType !== addressTypeOf(family)) continue;
    for (const p of slice.ports ?? []) {
      if (portName(p) !== name || portProtocol(p) !== protocol || !p.port) continue;
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (!ip || isV6(ip) !== (family === 6)) continue;
        const e = toEndpoint(ep, p.port, node);
        if (!byKey.has(e.key) || e.local) byKey.set(e.key, e);
      }
    }
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface Categorized {
  /** Usable endpoints for Cluster traffic policy (topology applied); empty if the Service never uses it. */
  cluster: Endpoint[];
  /** Usable endpoints for Local traffic policy; empty if the Service never uses it. */
  local: Endpoint[];
  /** Whether any usable endpoint exists anywhere in the cluster. */
  hasAny: boolean;
}

/**
 * upstream CategorizeEndpoints: Ready endpoints (restricted by zone hints when they apply), else
 * the serving-and-terminating ones, independently for Cluster and Local.
 */
export function categorize(endpoints: readonly Endpoint[], policy: TrafficPolicy, node: NodeInfo): Categorized {
  const out: Categorized = { cluster: [], local: [], hasAny: false };
  if (!endpoints.length) return out;
  const servingTerminating = (e: Endpoint) => e.serving && e.terminating;
  if (policy.usesClusterEndpoints) {
    const zone = node.zone ?? '';
    const useZone = preferSameZone(endpoints, zone);
    out.cluster = endpoints.filter((e) => e.ready && (!useZone || e.zoneHints.has(zone)));
    // No Ready endpoint anywhere (with hints in use there is one in this zone): fall back.
    if (!out.cluster.length) out.cluster = endpoints.filter(servingTerminating);
    if (out.cluster.length) out.hasAny = true;
  }
  if (!policy.usesLocalEndpoints) return out;
  let localReady = false;
  let localServingTerminating = false;
  for (const e of endpoints) {
    if (e.ready) {
      out.hasAny = true;
      if (e.local) localReady = true;
    } else if (servingTerminating(e)) {
      out.hasAny = true;
      if (e.local) localServingTerminating = true;
    }
  }
  if (localReady) out.local = endpoints.filter((e) => e.local && e.ready);
  else if (localServingTerminating) out.local = endpoints.filter((e) => e.local && servingTerminating(e));
  return out;
}

/**
 * upstream topologyModeFromHints for v1.32 (PreferSameTrafficDistribution, the node hints, is off
 * there): zone hints are used when every Ready endpoint has one and at least one is for this
 * node's zone; otherwise hints are ignored and every Ready endpoint is used.
 */
function preferSameZone(endpoints: readonly Endpoint[], zone: string): boolean {
  let anyReady = false;
  let forZone = false;
  for (const e of endpoints) {
    if (!e.ready) continue;
    anyReady = true;
    if (!e.zoneHints.size) return false;
    if (e.zoneHints.has(zone)) forZone = true;
  }
  return anyReady && forZone;
}

export interface PortBackends {
  /** For traffic to the ClusterIPs (internalTrafficPolicy). */
  clusterBackends: Endpoint[];
  /** For traffic to NodePorts, load-balancer IPs and externalIPs (externalTrafficPolicy). */
  externalBackends: Endpoint[];
}

/** The backends of one Service port for one address family. */
export function selectBackends(
  svc: ServiceObj,
  sp: Pick<ServicePort, 'name' | 'protocol'>,
  slices: readonly EndpointSliceObj[],
  node: NodeInfo,
  family: Family,
): PortBackends {
  const policy = trafficPolicy(svc);
  const c = categorize(portEndpoints(slices, sp, family, node), policy, node);
  return {
    clusterBackends: policy.internalLocal ? c.local : c.cluster,
    externalBackends: policy.externalLocal ? c.local : c.cluster,
  };
}

/**
 * The `localEndpoints` of the health check node port (upstream EndpointsMap.LocalReadyEndpoints):
 * distinct addresses of Ready endpoints on this node, over every port of every slice.
 */
export function localReadyEndpointCount(slices: readonly EndpointSliceObj[], node: NodeInfo): number {
  const ips = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    if (!(slice.ports ?? []).some((p: SlicePort) => !!p.port)) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (ip && (ep.conditions?.ready ?? true) && !!node.name && ep.nodeName === node.name) ips.add(ip);
    }
  }
  return ips.size;
}
