// What one Pod contributes to a Service's EndpointSlices: upstream staging/src/k8s.io/endpointslice
// (utils.go podToEndpoint, getEndpointPorts, getEndpointAddresses, FindPort,
// getAddressTypesForService; util/controller_utils.go ShouldPodBeInEndpoints, ShouldSetHostname,
// IsPodReady). Pure functions of the Service, the Pod and (for the zone) the Node's labels.
import type { PodObj, ContainerPort } from '../../registry/pod/strategy.js';
import type { ServiceObj, ServicePort } from '../../registry/service/strategy.js';
import { matchSelectorMap } from '../../apimachinery/selectors.js';
import {
  canonicalIP,
  hasSelector,
  isIPv6String,
  LABEL_TOPOLOGY_ZONE,
  type AddressType,
  type SliceEndpoint,
  type SlicePort,
} from './util.js';

export type { PodObj, ServiceObj, ServicePort };

/** upstream podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: PodObj): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** upstream isPodPhaseTerminal: Succeeded or Failed. */
export function isPodTerminal(pod: PodObj): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * The Pod's IPs in status order. upstream reads status.podIPs (the kubelet writes podIP and
 * podIPs together); a status with only podIP is read as podIPs = [podIP].
 */
export function podIPsOf(pod: PodObj): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p?.ip).filter((ip): ip is string => !!ip);
  if (ips.length) return ips;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

/**
 * upstream ShouldPodBeInEndpoints: not terminal, has an IP, and (unless includeTerminating) not
 * being deleted. The EndpointSlice controller includes terminating Pods (they become
 * `terminating: true` endpoints); the Endpoints controller only with publishNotReadyAddresses.
 */
export function shouldPodBeInEndpoints(pod: PodObj, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** upstream ShouldSetHostname: spec.hostname set, spec.subdomain is the Service, same namespace. */
export function shouldSetHostname(pod: PodObj, service: ServiceObj): boolean {
  const h = pod.spec?.hostname;
  return !!h && pod.spec?.subdomain === service.metadata.name && (service.metadata.namespace ?? '') === (pod.metadata.namespace ?? '');
}

const proto = (p: string | undefined) => p || 'TCP';

/**
 * upstream FindPort: a numeric targetPort is used as it is; a named one is looked up among the
 * containers' ports with the same name and protocol, then among restartable init containers
 * (sidecars: restartPolicy Always). undefined when a name does not resolve (the port is then
 * left out for this Pod). A missing targetPort means the port number (the API's default).
 */
export function findPort(pod: PodObj, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const match = (ports: ContainerPort[] | undefined) =>
    (ports ?? []).find((p) => p.name === target && proto(p.protocol) === proto(sp.protocol));
  for (const c of pod.spec?.containers ?? []) {
    const p = match(c.ports);
    if (p) return p.containerPort;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const p = match(c.ports);
    if (p) return p.containerPort;
  }
  return undefined;
}

/**
 * upstream getEndpointPorts: one EndpointPort per Service port that resolves on this Pod, in the
 * Service's order (name, protocol and appProtocol from the Service port). A headless Service
 * without ports has none.
 */
export function endpointPortsFor(service: ServiceObj, pod: PodObj): SlicePort[] {
  const ports = service.spec?.ports ?? [];
  const out: SlicePort[] = [];
  for (const sp of ports) {
    const n = findPort(pod, sp);
    if (n === undefined) continue;
    const ep: SlicePort = { name: sp.name ?? '', port: n, protocol: proto(sp.protocol) };
    if (sp.appProtocol !== undefined && sp.appProtocol !== null) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** upstream getEndpointAddresses: the Pod's IPs of this family, canonicalised. */
export function podAddresses(pod: PodObj, addressType: AddressType): string[] {
  const out: string[] = [];
  for (const raw of podIPsOf(pod)) {
    const c = canonicalIP(raw);
    if (c && c.family === addressType) out.push(c.ip);
  }
  return out;
}

/**
 * upstream podToEndpoint. serving = Pod Ready; terminating = deletionTimestamp set; ready =
 * serving and not terminating, or always true with publishNotReadyAddresses. nodeName when the
 * Pod is bound; zone from the Node's topology.kubernetes.io/zone label (when the Node is known and
 * the label is not empty); hostname by ShouldSetHostname; targetRef to the Pod.
 * `addresses` may be empty (no IP of this family): such an endpoint is not published.
 */
export function podToEndpoint(
  pod: PodObj,
  service: ServiceObj,
  addressType: AddressType,
  nodeLabels?: Readonly<Record<string, string>>,
): SliceEndpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = !!service.spec?.publishNotReadyAddresses || (serving && !terminating);
  const ep: SliceEndpoint = {
    addresses: podAddresses(pod, addressType),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, service)) ep.hostname = pod.spec!.hostname!;
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = nodeLabels?.[LABEL_TOPOLOGY_ZONE];
  if (zone) ep.zone = zone;
  return ep;
}

/** What one Pod adds to one address type's slices, or undefined when it adds nothing. */
export interface PodContribution {
  endpoint: SliceEndpoint;
  ports: SlicePort[];
}

/**
 * The endpoint and ports a Pod contributes for an address type: undefined when the Pod is not
 * included at all (ShouldPodBeInEndpoints with terminating Pods included) or has no IP of that
 * family. The Node check (a Pod on an unknown Node is skipped unless publishNotReadyAddresses)
 * is the reconciler's, since it needs the Node list.
 */
export function podContribution(
  service: ServiceObj,
  pod: PodObj,
  addressType: AddressType,
  nodeLabels?: Readonly<Record<string, string>>,
): PodContribution | undefined {
  if (!shouldPodBeInEndpoints(pod, true)) return undefined;
  const endpoint = podToEndpoint(pod, service, addressType, nodeLabels);
  if (!endpoint.addresses.length) return undefined;
  return { endpoint, ports: endpointPortsFor(service, pod) };
}

/**
 * upstream getAddressTypesForService: one address type per spec.ipFamilies entry (in that order);
 * without ipFamilies (an old API server), the ClusterIP's family, and for a headless Service
 * both.
 */
export function addressTypesForService(service: ServiceObj): AddressType[] {
  const out: AddressType[] = [];
  for (const f of service.spec?.ipFamilies ?? []) {
    if ((f === 'IPv4' || f === 'IPv6') && !out.includes(f)) out.push(f);
  }
  if (out.length) return out;
  const cip = service.spec?.clusterIP;
  if (cip && cip !== 'None') return [isIPv6String(cip) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/**
 * Whether the EndpointSlice (and Endpoints) controller manages this Service's endpoints at all:
 * not ExternalName, and it has a selector (selector-less Services get user-written slices, or
 * mirrored ones, instead).
 */
export function controllerManagesService(service: ServiceObj | undefined): service is ServiceObj {
  return !!service && service.spec?.type !== 'ExternalName' && hasSelector(service.spec?.selector);
}

/** The Pods the controller's lister would return: same namespace, matching the selector. */
export function podsForService(service: ServiceObj, pods: readonly PodObj[]): PodObj[] {
  const sel = service.spec?.selector;
  if (!hasSelector(sel)) return [];
  const ns = service.metadata.namespace ?? '';
  return pods.filter((p) => (p.metadata.namespace ?? '') === ns && matchSelectorMap(sel, p.metadata.labels));
}
